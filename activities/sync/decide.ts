import { fingerprint } from './fingerprint';
import type { Link } from './links';
import { policySide, type ConflictPolicy } from './model';
import type { SideRecord } from './backend';

export type Decision =
  | { action: 'fail'; reason: 'problem' }
  | { action: 'skip'; why: 'unchanged' | 'removed-unlinked' | 'already-removed' }
  /** Both sides already hold the same state: only the link is written. */
  | { action: 'link'; targetId: string; agreed: string; targetVersion?: string }
  /** Both changed, and the target's version stands: it is carried back to the source side. */
  | { action: 'keep-target'; targetId: string; targetVersion?: string; conflict: Conflict }
  | { action: 'create' }
  | { action: 'update'; targetId: string; baseVersion?: string; conflict?: Conflict }
  | {
      action: 'remove';
      targetId: string;
      baseVersion?: string;
      how: 'deleted' | 'voided' | 'inactive';
      conflict?: Conflict;
    }
  /** An app change the entity does not send (AppEntity.ignoreAppChanges): consumed and reported. */
  | { action: 'ignore'; targetId?: string };

export interface Conflict {
  winner: 'source' | 'target';
  source: unknown;
  target: unknown;
}

export interface DecideInput {
  source: SideRecord;
  /** stateFingerprint(source), when the caller computed it already (it is not cheap: a hash of the whole record). */
  sourceFp?: string;
  link?: Link;
  /** The linked target record, or the unlinked twin found by matching. */
  target?: SideRecord;
  matched: boolean;
  policy: ConflictPolicy;
  sourceSide: 'app' | 'remote';
}

function winnerOf(
  policy: ConflictPolicy,
  sourceSide: 'app' | 'remote',
  source: SideRecord,
  target: SideRecord,
): 'source' | 'target' {
  if (policy === 'latest-wins') {
    const s = source.updatedAt?.getTime() ?? 0;
    const t = target.updatedAt?.getTime() ?? 0;
    if (s !== t) return s > t ? 'source' : 'target';
    // Equal times: the accounting backend, the book of record, wins.
    return sourceSide === 'remote' ? 'source' : 'target';
  }
  const winningSide = policySide(policy);
  return winningSide === sourceSide ? 'source' : 'target';
}

/**
 * The state two sides agree on. Deactivation is a field of the record (`active`), so an edit and a deactivation travel
 * together and a reactivation is a change like any other; voiding and deleting are states of their own, so a record
 * voided on one side and edited on the other is seen as changed on both.
 */
export function stateFingerprint(r: SideRecord): string | undefined {
  const removed = r.deleted === 'voided' || r.deleted === 'deleted' ? r.deleted : undefined;
  if (r.canonical === undefined) return removed ? fingerprint({ removed }) : undefined;
  return removed ? fingerprint({ removed, record: r.canonical }) : fingerprint(r.canonical);
}

/** A removal the other side must follow: voided or deleted, or inactive without a record to carry it. */
function isRemoval(r: SideRecord): r is SideRecord & { deleted: 'deleted' | 'voided' | 'inactive' } {
  return r.deleted === 'voided' || r.deleted === 'deleted' || (r.deleted === 'inactive' && r.canonical === undefined);
}

/**
 * What to do with one changed source record. The link's fingerprint is the last state both sides agreed on: a side
 * whose record still has that fingerprint has not changed since, so echoes of the sync's own writes are no-ops and
 * only a change on both sides since the agreement is a conflict — removals included.
 */
export function decide({
  source,
  sourceFp: knownFp,
  link,
  target,
  matched,
  policy,
  sourceSide,
}: DecideInput): Decision {
  if (source.problem) return { action: 'fail', reason: 'problem' };
  if (isRemoval(source)) {
    if (!link || !target) return { action: 'skip', why: 'removed-unlinked' };
    if (target.deleted) return { action: 'skip', why: 'already-removed' };
    const remove = { action: 'remove' as const, targetId: target.id, baseVersion: target.version, how: source.deleted };
    if (stateFingerprint(target) === link.fingerprint) return remove;
    // The other side edited what this side removed. A void or deletion in the backend cannot be undone there, so it
    // stands; an app removal against a backend edit is the policy's to settle. Either way, both versions are recorded.
    const winner = sourceSide === 'remote' ? 'source' : winnerOf(policy, sourceSide, source, target);
    const conflict: Conflict = {
      winner,
      source: { removed: source.deleted, record: source.canonical ?? null },
      target: target.canonical,
    };
    if (winner === 'source') return { ...remove, conflict };
    return { action: 'keep-target', targetId: target.id, targetVersion: target.version, conflict };
  }
  // An inactive record nobody linked yet: the backend's is still master data (it comes in, inactive, or is matched);
  // the app's is not created in the backend.
  if (source.deleted === 'inactive' && !link && sourceSide === 'app')
    return { action: 'skip', why: 'removed-unlinked' };
  const sourceFp = knownFp ?? stateFingerprint(source)!;
  if (link) {
    // Linked, and the backend no longer has it: whether to create it again is the caller's policy (onVanished).
    if (!target && sourceSide === 'app') return { action: 'create' };
    if (sourceFp === link.fingerprint) return { action: 'skip', why: 'unchanged' };
    if (!target) return { action: 'create' };
    const targetFp = stateFingerprint(target);
    if (targetFp === link.fingerprint) return { action: 'update', targetId: target.id, baseVersion: target.version };
    if (targetFp === sourceFp)
      return { action: 'link', targetId: target.id, agreed: sourceFp, targetVersion: target.version };
    const conflict: Conflict = {
      winner: winnerOf(policy, sourceSide, source, target),
      source: source.canonical,
      target: target.canonical,
    };
    if (conflict.winner === 'source')
      return { action: 'update', targetId: target.id, baseVersion: target.version, conflict };
    return { action: 'keep-target', targetId: target.id, targetVersion: target.version, conflict };
  }
  if (matched && target && !target.problem) {
    const targetFp = stateFingerprint(target);
    if (targetFp === sourceFp)
      return { action: 'link', targetId: target.id, agreed: sourceFp, targetVersion: target.version };
    // Both sides had the record before they were linked: the policy picks whose version stands.
    const conflict: Conflict = {
      winner: winnerOf(policy, sourceSide, source, target),
      source: source.canonical,
      target: target.canonical,
    };
    if (conflict.winner === 'source')
      return { action: 'update', targetId: target.id, baseVersion: target.version, conflict };
    return { action: 'keep-target', targetId: target.id, targetVersion: target.version, conflict };
  }
  return { action: 'create' };
}
