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

const PACIFIC = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', timeZoneName: 'longOffset' });

const offsets = new Map<number, string>();

/** Pacific time's offset at an instant (−08:00, or −07:00 in summer), as Intuit's servers write it; cached per hour. */
function pacificOffset(ms: number): string {
  const hour = Math.floor(ms / 3_600_000);
  let offset = offsets.get(hour);
  if (offset === undefined) {
    const name = PACIFIC.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT-08:00';
    offset = /[-+]\d{2}:\d{2}/.exec(name)?.[0] ?? '-08:00';
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(hour, offset);
  }
  return offset;
}

/**
 * QuickBooks' timestamp format: Pacific local time with its offset. Records' MetaData times have whole seconds
 * (`2023-02-18T13:16:17-08:00`); the envelope's `time` has milliseconds (`2015-07-27T12:37:22.733-07:00`).
 */
export function qboTime(ms: number, withMillis = false): string {
  const offset = pacificOffset(ms);
  const minutes = (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(ms + minutes * 60_000).toISOString();
  return `${local.slice(0, withMillis ? 23 : 19)}${offset}`;
}
