/**
 * Work for a step's next page, started while the page before it is still being done and kept for the page that
 * needs it: a pull's next page read while one is written, a push's next plan sent while one settles (engine.ts says
 * for each why that is safe). It is taken only under the key it was started for — the page the step really reaches
 * next; anything else is dropped, never awaited: a step attempt that hands back or fails leaves nothing behind that
 * its successor would not do again (it reads again, or resends the saved plan under the same keys).
 */
export class Ahead<T> {
  private next?: { key: string; work: Promise<T> };
  private closed = false;

  /** Whether work may still be started: not once the step attempt is about to hand back. */
  get open(): boolean {
    return !this.closed;
  }

  /** Nothing more is started; what was started can still be taken. */
  close(): void {
    this.closed = true;
  }

  /** The key of the work started ahead and waiting to be taken, if any. */
  get held(): string | undefined {
    return this.next?.key;
  }

  start(key: string, work: Promise<T>): void {
    if (this.closed) throw new Error('nothing is started ahead once the step attempt is handing back');
    // Awaited only if taken: a failure of work never taken must not surface as an unhandled rejection.
    work.catch(() => undefined);
    this.next = { key, work };
  }

  /** The work started under this key, if that is the one; anything else started ahead is dropped. */
  take(key: string): Promise<T> | undefined {
    const next = this.next;
    this.next = undefined;
    return next && next.key === key ? next.work : undefined;
  }
}
