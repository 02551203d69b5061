import type { ChangePage } from './backend';
import { stableJson } from './fingerprint';
import type { EntityName } from './model';

/**
 * The next page of a pull, read while the page before it is written (engine.ts pullPage): the backend's answer and
 * mapping overlap PostgreSQL's work instead of following it. Safe because what the read-ahead saw of the links can only
 * make it map a record that could have been settled, never the reverse: a record's link moves to a version only when
 * a page read that version, and then the record reads as settled on the later page as well. Every link the page is
 * decided against is looked up after the page before it committed, and a child whose parent was on that page waits
 * for it as within a page (the parent's link is found when the child is resolved again). A page is taken only by
 * the pull that starts from the cursor it was read from; one the step never reaches (its transaction failed, the
 * attempt handed back) is dropped, its read having changed nothing.
 */
export class ReadAhead {
  private next?: { entity: EntityName; cursor: string; page: Promise<ChangePage> };

  start(entity: EntityName, cursor: unknown, read: () => Promise<ChangePage>): void {
    const page = read();
    // Awaited only if taken: a failure of a page never taken must not surface as an unhandled rejection.
    page.catch(() => undefined);
    this.next = { entity, cursor: stableJson(cursor), page };
  }

  /** The page read ahead from this cursor, if that is the one; anything else read ahead is dropped. */
  take(entity: EntityName, cursor: unknown): Promise<ChangePage> | undefined {
    const next = this.next;
    this.next = undefined;
    return next && next.entity === entity && next.cursor === stableJson(cursor) ? next.page : undefined;
  }
}
