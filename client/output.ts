/**
 * What the CLI prints comes partly from others: tenant names, record labels, QuickBooks' messages. Terminal control
 * sequences (C0/C1 controls, ESC) and bidirectional overrides in them could rewrite the screen or reorder what an
 * operator reads, so they are removed from everything the CLI prints; tabs and newlines stay.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, '');
}

let installed = false;

/** Routes console.log/error/warn through `printable` for this process (the CLI's entry point calls it once). */
export function installOutputSanitizer(): void {
  if (installed) return;
  installed = true;
  for (const method of ['log', 'error', 'warn', 'info'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => original(...args.map((a) => (typeof a === 'string' ? printable(a) : a)));
  }
}
