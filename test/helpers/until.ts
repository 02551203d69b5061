export interface UntilOptions {
  /** The deadline, from now. */
  ms?: number;
  /** The pause between reads. */
  everyMs?: number;
  /** More to say when the deadline passes (e.g. a worker's last output). */
  context?: () => string;
}

/**
 * The tests' one way to wait: polls `read` until `ok` holds, with a deadline — never a sleep as synchronisation.
 * A read that throws counts as "not yet" (the thing may not exist yet) until the deadline, then its error is thrown.
 */
export async function until<T>(
  what: string,
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  options: UntilOptions = {},
): Promise<T> {
  const { ms = 120_000, everyMs = 50, context } = options;
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) {
      const seen = JSON.stringify(last, null, 1)?.slice(0, 3000);
      const more = context?.();
      throw new Error(`timed out after ${ms} ms waiting for ${what}; last seen: ${seen}${more ? `\n${more}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
