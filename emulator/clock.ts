/** The emulator's clock: real time plus an offset tests can advance (token expiry, refresh grace, MetaData times, CDC window). */
export class EmulatorClock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** QuickBooks' timestamp format: local time with offset, e.g. 2023-02-18T13:16:17-08:00 (Pacific, as Intuit's servers answer). */
export function qboTime(ms: number): string {
  const local = new Date(ms - 8 * 3600_000);
  return `${local.toISOString().slice(0, 19)}-08:00`;
}
