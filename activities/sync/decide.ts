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
  | { action: 'remove'; targetId: string; baseVersion?: string; how: 'deleted' | 'voided' | 'inactive' }
  /** An app change the mapping does not send (EntityMapping.ignoreAppChanges): consumed and reported. */
  | { action: 'ignore'; targetId?: string };

export interface Conflict {
  winner: 'source' | 'target';
  source: unknown;
  target: unknown;
}

export interface DecideInput {
  source: SideRecord;
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
 * What to do with one changed source record. The link's fingerprint is the last state both sides agreed on: a side
 * whose record still has that fingerprint has not changed since, so echoes of the sync's own writes are no-ops and
 * only a change on both sides since the agreement is a conflict.
 */
export function decide({ source, link, target, matched, policy, sourceSide }: DecideInput): Decision {
  if (source.problem) return { action: 'fail', reason: 'problem' };
  // An inactive backend customer or item nobody linked yet is still master data: it comes in (inactive) or is matched.
  const inactiveNewcomer =
    source.deleted === 'inactive' && !link && sourceSide === 'remote' && source.canonical !== undefined;
  if (source.deleted && !inactiveNewcomer) {
    if (!link || !target) return { action: 'skip', why: 'removed-unlinked' };
    if (target.deleted) return { action: 'skip', why: 'already-removed' };
    return { action: 'remove', targetId: target.id, baseVersion: target.version, how: source.deleted };
  }
  const sourceFp = fingerprint(source.canonical);
  if (link) {
    if (sourceFp === link.fingerprint) return { action: 'skip', why: 'unchanged' };
    if (!target) return { action: 'create' };
    const targetFp = target.canonical === undefined ? undefined : fingerprint(target.canonical);
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
    const targetFp = target.canonical === undefined ? undefined : fingerprint(target.canonical);
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
