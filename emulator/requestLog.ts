import type { RequestLogEntry } from './options';

const MAX_ENTRIES = 200_000;

/** The fields every log entry carries; the QuickBooks Desktop emulator logs its own entry shape through the same log. */
export interface LogEntryBase {
  seq: number;
  time: string;
  realmId?: string;
}

/** Every QuickBooks and OAuth request the emulator answered (admin calls excluded), so tests can count calls and spot duplicates. */
export class RequestLog<E extends LogEntryBase = RequestLogEntry> {
  private entries: E[] = [];
  private seq = 0;

  record(entry: Omit<E, 'seq' | 'time'>, startedAt: number): void {
    this.entries.push({ seq: ++this.seq, time: new Date(startedAt).toISOString(), ...entry } as E);
    if (this.entries.length > MAX_ENTRIES) this.entries = this.entries.slice(-MAX_ENTRIES / 2);
  }

  list(filter: { realmId?: string; sinceSeq?: number }): E[] {
    const since = filter.sinceSeq ?? 0;
    return this.entries.filter((e) => e.seq > since && (!filter.realmId || e.realmId === filter.realmId));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Sequence numbers keep growing after a clear, so `sinceSeq` cursors stay valid. */
  clear(): void {
    this.entries = [];
  }
}
