import { randomUUID } from 'node:crypto';
import type { Clock } from '../../workers/clock';
import type { AppSide } from './appSide';
import { syncTransaction } from './appSide';
import type {
  AgreedVersions,
  Backend,
  ChangePage,
  Db,
  RecordProblem,
  SideRecord,
  SideWrite,
  SideWriteResult,
  Trx,
} from './backend';
import { readCursor, writeCursor } from './cursors';
import { decide, stateFingerprint, type Decision } from './decide';
import type { AppEntity } from './entity';
import { RecordRejectedError, TransientRecordError } from './errors';
import { fingerprint, stableJson } from './fingerprint';
import { notePending, settleLateRefs, type WrittenRecord } from './lateReferences';
import type { Link, LinkStore } from './links';
import {
  emptyCounts,
  type ConflictPolicy,
  type EntityName,
  type OnRecordError,
  type PageCounts,
  type StepName,
} from './model';
import { loadPlan, savePlan, settlePlan, type PlanEntry, type PushPlan } from './plans';
import type { Ahead } from './ahead';
import {
  DEFERRED,
  DEPENDENCY_CODES,
  IGNORED,
  recordConflict,
  recordProblem,
  VANISHED,
  runsDeferred,
  type ProblemRecord,
} from './records';

export interface EngineContext {
  db: Db;
  clock: Clock;
  tenantId: string;
  runId: string;
  step: StepName;
  app: AppSide;
  /** The tenant's accounting backend. */
  remote: Backend;
  links: LinkStore;
  policy: ConflictPolicy;
  onRecordError: OnRecordError;
  /** Runs a record may wait for a dependency not on the other side yet before it fails the run. */
  deferRuns: number;
  /** A linked record the backend no longer has: reported (`stop`) or created again (`recreate`). */
  onVanished: 'stop' | 'recreate';
  /** Where a step attempt keeps the page it reads ahead of a pull (absent: pages are read one after the other). */
  readAhead?: Ahead<ChangePage>;
  /** Where it keeps the next push page sent while one settles, with its answers (absent: sent one after the other). */
  sendAhead?: Ahead<SentPage>;
  /** Called inside each page's transaction, so counts are committed exactly when the page is. */
  countPage?: (
    trx: Trx,
    direction: 'pull' | 'push',
    counts: PageCounts,
    /** Where the part's next page starts; absent when this page must be read again (a write to retry). */
    next?: { cursor: unknown; done: boolean },
  ) => Promise<void>;
}

export interface PageOutcome {
  counts: PageCounts;
  /** For pushes, where the next page starts within this run (pulls keep their cursor in PostgreSQL). */
  nextCursor: unknown;
  done: boolean;
}

export const PULL_PAGE_SIZE = 1000;

/** The agreed versions (AgreedVersions) of these ids among links already looked up. */
function versionsOf(links: Map<string, Link>, ids: string[]): Map<string, string> {
  const versions = new Map<string, string>();
  for (const id of ids) {
    const version = links.get(id)?.remoteVersion;
    if (version) versions.set(id, version);
  }
  return versions;
}

/** Under which key a page read ahead waits: the entity and the cursor it was read from. */
const readKey = (entity: EntityName, cursor: unknown) => `${entity} ${stableJson(cursor)}`;

/** Under which key a push page's app records read ahead wait: the entity and the cursor, apart from a pull's. */
const appReadKey = (entity: EntityName, cursor: unknown) => `app ${entity} ${stableJson(cursor)}`;

/**
 * The app's changed records after a page that is being sent, read while QuickBooks writes it: the plan of the page
 * after it (planAhead) starts from them instead of reading them once the answers are in. Only where that page is
 * planned ahead (mayPlanAhead: canPlanAhead's conditions known before the answers), and taken only there: a page
 * planned after this one committed reads afresh. Any failure drops it unread — the read changed nothing.
 */
function readAppAhead(ctx: EngineContext, mapping: AppEntity<unknown>, plan: PushPlan, planner: PushPlanner): void {
  if (!mayPlanAhead(ctx, planner, plan) || !ctx.readAhead?.open) return;
  ctx.readAhead.start(
    appReadKey(mapping.entity, plan.nextCursor),
    ctx.app.readChanges(mapping.entity, plan.nextCursor, ctx.remote.capabilities.batchSize),
  );
}

/** A push page sent ahead: its plan (kept, not read back from PostgreSQL) and the backend's answers. */
export interface SentPage {
  plan: PushPlan;
  results: SideWriteResult[];
}

/** The versions the links hold now, for a read that keeps no links of its own (a page read ahead). */
function agreedNow(ctx: EngineContext, entity: EntityName): AgreedVersions {
  return async (ids) => versionsOf(await ctx.links.byRemoteIds(ctx.db, entity, ids), ids);
}

const fp = stateFingerprint;

/**
 * The key a backend write is recognised by (an idempotency key, or an external GUID and message-set recovery where
 * the backend has no such key). `planId` is saved with the plan before anything is sent, so every retry of a plan reuses it; a later
 * plan gets a new one, so a write that failed is really attempted again rather than answered with the stored failure.
 */
function requestKey(
  planId: string,
  ctx: EngineContext,
  entity: string,
  sourceId: string,
  decision: Decision,
  sourceFp?: string,
) {
  const base = `${planId}|${ctx.tenantId}|${entity}|${sourceId}`;
  switch (decision.action) {
    case 'create':
      // One app record is created in the backend once, whatever its content by the time a retry comes.
      return `${base}|create`;
    case 'update':
      return `${base}|update|${decision.baseVersion ?? ''}|${sourceFp ?? ''}`;
    case 'remove':
      return `${base}|remove|${decision.baseVersion ?? ''}`;
    default:
      return base;
  }
}

/** The write a decision makes, with the canonical record to send (by default the source's own). */
export function toWrite(
  ctx: EngineContext,
  entity: string,
  source: SideRecord,
  decision: Decision,
  planId = '',
  canonical: unknown = source.canonical,
  /** The source's fingerprint when the caller has it (an update's key carries it); else computed here if needed. */
  sourceFp?: string,
): SideWrite | undefined {
  const keyFp = decision.action === 'update' ? (sourceFp ?? fp(source)) : undefined;
  const key = requestKey(planId, ctx, entity, source.id, decision, keyFp);
  const { id: sourceId } = source;
  if (decision.action === 'create') return { kind: 'create', sourceId, canonical, requestKey: key };
  if (decision.action === 'update') {
    const { targetId, baseVersion } = decision;
    return { kind: 'update', sourceId, targetId, baseVersion, canonical, requestKey: key };
  }
  if (decision.action === 'remove') {
    const { targetId, baseVersion, how } = decision;
    return { kind: 'remove', sourceId, targetId, baseVersion, how, requestKey: key };
  }
  return undefined;
}

function problemOf(
  entity: AppEntity<unknown>,
  source: SideRecord,
  targetId: string | undefined,
  p: RecordProblem,
  skipped: boolean,
): ProblemRecord {
  const { code, message, detail, action } = p;
  const base = { entity: entity.entity, direction: 'pull' as const, remoteId: source.id, appId: targetId };
  return { ...base, label: source.label, code, message, detail, action, skipped };
}

/**
 * One page of backend → app: read up to 1000 changes after the stored cursor and, in one transaction with the app
 * rows locked, decide, write the app, write the links and move the cursor. A crash anywhere leaves the page to be
 * read again, and re-reading it changes nothing that was already applied.
 */
export async function pullPage(ctx: EngineContext, mapping: AppEntity<unknown>): Promise<PageOutcome> {
  const { entity } = mapping;
  const counts = emptyCounts();
  const cursor = await readCursor(ctx.db, ctx.tenantId, entity);
  // The links the backend asks about while reading (to leave records read at their agreed version unmapped) are the
  // page's links: kept, so that only records it did not ask about are looked up again.
  const links = new Map<string, Link>();
  const asked = new Set<string>();
  const lookUp = async (ids: string[]) => {
    const fresh = ids.filter((id) => !asked.has(id));
    fresh.forEach((id) => asked.add(id));
    for (const [id, link] of await ctx.links.byRemoteIds(ctx.db, entity, fresh)) links.set(id, link);
  };
  const agreed: AgreedVersions = async (ids) => {
    await lookUp(ids);
    return versionsOf(links, ids);
  };
  const read = await (ctx.readAhead?.take(readKey(entity, cursor)) ??
    ctx.remote.readChanges(entity, cursor, PULL_PAGE_SIZE, agreed));
  // The next page is read while this one's transaction runs: the backend's answer and mapping overlap PostgreSQL's
  // work. Safe because what the read-ahead saw of the links can only make it map a record that could have been
  // settled, never the reverse: a record's link moves to a version only when a page read that version, and then the
  // record reads as settled on the later page as well. Every link the page is decided against is looked up after the
  // page before it committed (below), and a child whose parent was on that page waits for it as within a page (the
  // parent's link is found when the child is resolved again). It is taken only by the pull that starts from the
  // cursor it was read from.
  if (!read.done && ctx.readAhead?.open && ctx.remote.capabilities.transport === 'call')
    ctx.readAhead.start(
      readKey(entity, read.nextCursor),
      ctx.remote.readChanges(entity, read.nextCursor, PULL_PAGE_SIZE, agreedNow(ctx, entity)),
    );
  // A page read ahead was mapped against the links of its time: its links are looked up now, after the page before
  // it committed (records it did not ask about; all of them when it was read ahead).
  await lookUp(read.records.map((r) => r.id));
  // Settled records changed nothing since their agreement: counted, and not locked, loaded or decided.
  const page = { ...read, records: read.records.filter((r) => !r.settled) };
  const misread = read.records.find((r) => r.settled && links.get(r.id)?.remoteVersion !== r.version);
  if (misread) throw new Error(`${ctx.remote.id} returned ${misread.label} as settled at a version not agreed`);
  counts.unchanged += read.records.length - page.records.length;
  let rejected: RecordRejectedError | undefined;
  let lateFailures: ProblemRecord[] = [];

  await syncTransaction(ctx.db, async (trx) => {
    const linkedAppIds = page.records.flatMap((r) => {
      const link = links.get(r.id);
      return link ? [String(link.appId)] : [];
    });
    await ctx.app.lock(trx, entity, linkedAppIds);
    const targets = await ctx.app.load(entity, linkedAppIds, trx);
    const unlinked = page.records.filter(
      (r) => !links.has(r.id) && (!r.deleted || r.deleted === 'inactive') && r.canonical !== undefined && !r.problem,
    );
    const matches = await ctx.app.findMatches(
      entity,
      unlinked.map((r) => r.canonical),
      trx,
    );
    const matchOf = new Map(unlinked.map((r, i) => [r.id, matches[i]]));
    const now = ctx.clock.now();

    const pageLinks = new Map<string, number>();
    const createdLinks: Link[] = [];
    // The agreements of records that existed on both sides, written for the page at once (links.upsertMany).
    const agreements: Link[] = [];
    const deferred: SideRecord[] = [];
    const written: WrittenRecord[] = [];
    const agree = (appId: number, source: SideRecord, fingerprint: string): Link => ({
      appId,
      remoteId: source.id,
      remoteVersion: source.version ?? null,
      fingerprint,
    });
    // New app records are inserted together (a few statements for the page, not two or three per record): queued
    // here, written by flush() before anything that needs their app ids (the deferred sub-records, the links).
    const creating: Array<{ source: SideRecord; sourceFp: string }> = [];
    const flush = async (): Promise<void> => {
      const batch = creating.splice(0);
      const ids = await ctx.app.createMany(
        entity,
        batch.map((c) => c.source.canonical),
        trx,
      );
      batch.forEach(({ source, sourceFp }, i) => {
        pageLinks.set(source.id, ids[i]);
        const newLink = agree(ids[i], source, sourceFp);
        createdLinks.push(newLink);
        written.push({ appId: ids[i], source, created: true });
        counts.created++;
      });
    };
    const apply = async (source: SideRecord): Promise<void> => {
      const link = links.get(source.id);
      const target = link ? targets.get(String(link.appId)) : matchOf.get(source.id);
      // Computed once: decide compares it and the agreement written below keeps it.
      const sourceFp = fp(source);
      const decision = decide({
        source,
        sourceFp,
        link,
        target,
        matched: !link && !!target,
        policy: ctx.policy,
        sourceSide: 'remote',
      });
      if (decision.action === 'fail') {
        const problem = problemOf(mapping, source, target?.id, source.problem!, ctx.onRecordError === 'skip');
        counts.failed++;
        if (ctx.onRecordError === 'stop') {
          rejected = new RecordRejectedError(ctx.tenantId, problem);
          throw rejected;
        }
        await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, problem);
        return;
      }
      if ('targetId' in decision) pageLinks.set(source.id, Number(decision.targetId));
      switch (decision.action) {
        case 'skip':
          counts.unchanged++;
          if (link) pageLinks.set(source.id, link.appId);
          if (link && source.version && link.remoteVersion !== source.version)
            await ctx.links.touchVersion(trx, entity, source.id, source.version);
          break;
        case 'link':
          counts.unchanged++;
          agreements.push(agree(Number(decision.targetId), source, decision.agreed));
          written.push({ appId: Number(decision.targetId), source, created: false });
          break;
        case 'keep-target': {
          // The app's version wins: agree on the backend's state so the app's differing one is pushed in this step.
          counts.conflicts++;
          const ids = { appId: decision.targetId, remoteId: source.id };
          await recordConflict(trx, ctx.tenantId, ctx.runId, entity, ctx.policy, ids, decision.conflict, 'remote');
          agreements.push(agree(Number(decision.targetId), source, sourceFp!));
          await ctx.app.requeue(trx, entity, decision.targetId);
          break;
        }
        case 'remove':
          await ctx.app.applyPage(entity, [toWrite(ctx, entity, source, decision)!], trx);
          counts.deleted++;
          // The removal is the new agreement: a later change on either side (a reactivation) is a change again.
          agreements.push(agree(link!.appId, source, sourceFp!));
          if (decision.conflict) {
            counts.conflicts++;
            const ids = { appId: String(link!.appId), remoteId: source.id };
            await recordConflict(trx, ctx.tenantId, ctx.runId, entity, ctx.policy, ids, decision.conflict, 'remote');
          }
          break;
        case 'create':
        case 'update': {
          if (decision.action === 'create' && !link && !target) {
            creating.push({ source, sourceFp: sourceFp! });
            break;
          }
          const [result] = await ctx.app.applyPage(
            entity,
            [toWrite(ctx, entity, source, decision, '', source.canonical, sourceFp)!],
            trx,
          );
          if (!result.ok) throw new Error(`app write failed for ${source.label}: ${result.problem.message}`);
          pageLinks.set(source.id, Number(result.targetId));
          const newLink = agree(Number(result.targetId), source, sourceFp!);
          agreements.push(newLink);
          written.push({ appId: newLink.appId, source, created: false });
          if (decision.action === 'update' && decision.conflict) {
            counts.conflicts++;
            const ids = { appId: result.targetId, remoteId: source.id };
            await recordConflict(trx, ctx.tenantId, ctx.runId, entity, ctx.policy, ids, decision.conflict, 'remote');
          }
          if (decision.action === 'create' && !target) counts.created++;
          else counts.updated++;
          break;
        }
      }
    };

    for (const source of page.records) {
      // A sub-customer or sub-item whose parent is created later in this same page waits for it.
      if (source.problem?.code === 'qbsync-missing-parent') deferred.push(source);
      else await apply(source);
    }
    await flush();
    for (let progress = true; deferred.length && progress;) {
      progress = false;
      for (const waiting of [...deferred]) {
        const again = await ctx.remote.resolve(entity, waiting, pageLinks);
        if (again.problem && deferred.length > 1) continue;
        deferred.splice(deferred.indexOf(waiting), 1);
        progress = true;
        await apply(again);
        await flush();
      }
    }
    for (const source of deferred) await apply(source);
    await flush();
    await ctx.links.upsertMany(trx, entity, agreements, now);
    await ctx.links.insertNew(trx, entity, createdLinks, now);
    await notePending(trx, ctx, mapping, written);
    lateFailures = await settleLateRefs(trx, ctx, entity, page.done, counts);
    await ctx.countPage?.(trx, 'pull', counts, { cursor: null, done: page.done });
    await writeCursor(trx, ctx.tenantId, entity, page.nextCursor, now);
  }).catch(async (error) => {
    if (error === rejected && rejected) {
      // The page rolled back (it is read again next run); the problem itself is kept.
      const { problem } = rejected;
      await syncTransaction(ctx.db, (trx) => recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, problem));
    }
    throw error;
  });
  if (lateFailures.length && ctx.onRecordError === 'stop') throw new RecordRejectedError(ctx.tenantId, lateFailures[0]);
  return { counts, nextCursor: null, done: page.done };
}

/**
 * How a page of changed app records becomes a plan. The default decides each record against its link and the
 * backend's version (two-way sync); order-taking's sales handoff is another planner (orderTaking/handoff.ts).
 */
export interface PushPlanner {
  /** `taken`: backend ids a page settling beside this plan links (not twins of anything here). */
  plan(
    ctx: EngineContext,
    mapping: AppEntity<unknown>,
    page: ChangePage,
    plan: PushPlan,
    taken?: ReadonlySet<string>,
  ): Promise<void>;
}

/** An app change the entity does not send: unchanged records stay quiet, the rest are reported as ignored. */
function ignoredEntry(mapping: AppEntity<unknown>, source: SideRecord, link: Link | undefined): PlanEntry {
  const sourceFp = fp(source);
  const decision: Decision = { action: 'ignore', targetId: link?.remoteId };
  const entry: PlanEntry = { sourceId: source.id, label: source.label, sourceFp, decision };
  if (link && sourceFp === link.fingerprint) entry.decision = { action: 'skip', why: 'unchanged' };
  else if (!link && source.deleted) entry.decision = { action: 'skip', why: 'removed-unlinked' };
  else {
    const { message, action } = mapping.ignoreAppChanges!;
    entry.problem = { code: IGNORED, message, action };
  }
  return entry;
}

/** Adds an entry and, when its decision writes, its write. */
export function addEntry(plan: PushPlan, entry: PlanEntry, write: SideWrite | undefined): void {
  if (write) {
    entry.write = plan.writes.length;
    plan.writes.push(write);
  }
  plan.entries.push(entry);
}

/** Two-way sync: each record decided against its link, the backend's current version, or an unlinked twin. */
export const twoWayPlanner: PushPlanner = {
  async plan(ctx, mapping, page, plan, taken) {
    const { entity } = mapping;
    const links = await ctx.links.byAppIds(
      ctx.db,
      entity,
      page.records.map((r) => Number(r.id)),
    );
    const ignoring = mapping.ignoreAppChanges;
    const ignored = (r: SideRecord) => !!ignoring && (links.has(Number(r.id)) ? ignoring.linked : ignoring.unlinked);
    // Records whose changes are ignored are not looked up in the backend at all.
    const sent = page.records.filter((r) => !ignored(r));
    const targets = await ctx.remote.load(
      entity,
      sent.flatMap((r) => links.get(Number(r.id))?.remoteId ?? []),
    );
    const unlinked = sent.filter((r) => !links.has(Number(r.id)) && !r.deleted && !r.problem);
    const matches = await ctx.remote.findTwins(
      entity,
      unlinked.map((r) => r.canonical),
      taken,
    );
    const matchOf = new Map(unlinked.map((r, i) => [r.id, matches[i]]));

    for (const source of page.records) {
      const link = links.get(Number(source.id));
      if (ignored(source)) {
        addEntry(plan, ignoredEntry(mapping, source, link), undefined);
        continue;
      }
      const target = link ? targets.get(link.remoteId) : matchOf.get(source.id);
      if (!link && target?.problem) {
        // The backend could not settle on one twin (several candidates): never a guess, never a second record.
        const failed = { action: 'fail', reason: 'problem' } as const;
        addEntry(
          plan,
          { sourceId: source.id, label: source.label, sourceFp: fp(source), decision: failed, problem: target.problem },
          undefined,
        );
        continue;
      }
      const sourceFp = fp(source);
      const decision = decide({
        source,
        sourceFp,
        link,
        target,
        matched: !link && !!target,
        policy: ctx.policy,
        sourceSide: 'app',
      });
      const entry: PlanEntry = { sourceId: source.id, label: source.label, sourceFp, decision };
      if (link && !target && decision.action === 'create') {
        // Linked, but the backend no longer has it (deleted there, a backup restored): never silently.
        const gone = vanishedProblem(ctx, source.label, `${mapping.entity} ${link.remoteId}`, 'was linked to');
        if (ctx.onVanished === 'stop') {
          addEntry(plan, { ...entry, decision: { action: 'fail', reason: 'problem' }, problem: gone }, undefined);
          continue;
        }
        entry.notice = {
          ...gone,
          message: `${gone.message}; created again (onVanished: recreate)`,
          action: 'nothing to do',
        };
      }
      if (decision.action === 'keep-target' && target?.canonical !== undefined)
        entry.keep = { canonical: target.canonical, fp: fingerprint(target.canonical) };
      if (decision.action === 'fail') entry.problem = source.problem;
      addEntry(plan, entry, toWrite(ctx, entity, source, decision, plan.id, source.canonical, sourceFp));
    }
  },
};

/** A linked record the backend no longer has: what happened and the ways out. */
function vanishedProblem(ctx: EngineContext, label: string, what: string, relation: string): RecordProblem {
  return {
    code: VANISHED,
    message: `${label}: the accounting side no longer has ${what}, which it ${relation} (deleted there, or a backup was restored)`,
    action: `if it was deleted on purpose, remove or change it in the app; to create it there again, run \`qbsync tenant set ${ctx.tenantId} onVanished=recreate\` and sync`,
  };
}

/** After a write failed: the references of the record the backend no longer has (their links point at nothing). */
async function vanishedReferences(ctx: EngineContext, mapping: AppEntity<unknown>, sourceId: string) {
  const source = (await ctx.app.load(mapping.entity, [sourceId])).get(sourceId);
  if (source?.canonical === undefined) return [];
  const gone: Array<{ entity: string; appId: number; remoteId: string }> = [];
  const refs = mapping.appRefs(source.canonical).filter((r) => typeof r.id === 'number');
  for (const entity of new Set(refs.map((r) => r.entity))) {
    const appIds = refs.filter((r) => r.entity === entity).map((r) => Number(r.id));
    const links = await ctx.links.byAppIds(ctx.db, entity, appIds);
    const found = await ctx.remote.load(
      entity,
      [...links.values()].map((l) => l.remoteId),
    );
    for (const l of links.values())
      if (!found.has(l.remoteId)) gone.push({ entity, appId: l.appId, remoteId: l.remoteId });
  }
  return gone;
}

/** The changed app records after `cursor`, decided into a plan (not saved). */
async function planPage(
  ctx: EngineContext,
  mapping: AppEntity<unknown>,
  cursor: unknown,
  planner: PushPlanner,
  taken?: ReadonlySet<string>,
  readAlready?: Promise<ChangePage>,
): Promise<PushPlan> {
  const page = await (readAlready ?? ctx.app.readChanges(mapping.entity, cursor, ctx.remote.capabilities.batchSize));
  const { receipts = {}, nextCursor, done } = page;
  const plan: PushPlan = { id: randomUUID(), writes: [], entries: [], receipts, nextCursor, done };
  await planner.plan(ctx, mapping, page, plan, taken);
  return plan;
}

/** canPlanAhead's conditions known before a page's answers: a next page, the two-way planner, a backend that answers. */
function mayPlanAhead(ctx: EngineContext, planner: PushPlanner, plan: PushPlan): boolean {
  return !plan.done && planner === twoWayPlanner && ctx.remote.capabilities.transport === 'call';
}

/**
 * Whether the next page may be planned while this one settles: nothing this settle commits may change that plan. So
 * only the two-way planner, on a backend answering within the activity, after a page whose every write succeeded (no
 * requeued references) and that adopted no twin (an adopted record's own references resolve once it is linked).
 */
function canPlanAhead(ctx: EngineContext, planner: PushPlanner, plan: PushPlan, results: SideWriteResult[]) {
  return (
    mayPlanAhead(ctx, planner, plan) &&
    results.every((r) => r.ok) &&
    plan.entries.every((e) => e.decision.action !== 'link' && !e.vanished?.length)
  );
}

/**
 * The next page's plan, made while this page settles. The backend records this page links (those it created, and the
 * targets of its decisions) are not twins of anything in it, exactly as once the settle has committed. A record of
 * this page changed again (in the next page too) or any failure gives nothing: the next page is planned as usual.
 */
async function planAhead(
  ctx: EngineContext,
  mapping: AppEntity<unknown>,
  plan: PushPlan,
  results: SideWriteResult[],
  planner: PushPlanner,
): Promise<PushPlan | undefined> {
  const taken = new Set<string>();
  for (const e of plan.entries) if ('targetId' in e.decision && e.decision.targetId) taken.add(e.decision.targetId);
  for (const r of results) if (r.ok) taken.add(r.targetId);
  const mine = new Set(plan.entries.map((e) => e.sourceId));
  try {
    const readAlready = ctx.readAhead?.take(appReadKey(mapping.entity, plan.nextCursor));
    const next = await planPage(ctx, mapping, plan.nextCursor, planner, taken, readAlready);
    return next.entries.some((e) => mine.has(e.sourceId)) ? undefined : next;
  } catch {
    return undefined; // the next page meets it again when it plans for itself
  }
}

/**
 * Whether the next page, planned while this one settles, may also be saved and sent before this one has committed:
 * nothing this settle does may stop the step (a record refused under onRecordError=stop would, and the page after it
 * must then not have gone out). Its plan is saved first, so a crash resends both saved plans, oldest first, under
 * their keys; a settle that fails lets the next plan's requests finish before it throws.
 */
function sendsAhead(ctx: EngineContext, plan: PushPlan, next: PushPlan): boolean {
  return (
    !!ctx.sendAhead?.open &&
    next.writes.length > 0 &&
    !(ctx.onRecordError === 'stop' && plan.entries.some((e) => e.decision.action === 'fail'))
  );
}

/**
 * The next page while this one settles: planned (planAhead), and either sent at once (sendsAhead: its answers wait
 * in ctx.sendAhead for the call that settles it) or kept to be saved once this page has committed.
 */
async function nextPage(
  ctx: EngineContext,
  mapping: AppEntity<unknown>,
  plan: PushPlan,
  results: SideWriteResult[],
  planner: PushPlanner,
): Promise<{ later?: PushPlan; sent?: Promise<unknown> }> {
  const next = await planAhead(ctx, mapping, plan, results, planner);
  if (!next) return {};
  if (!sendsAhead(ctx, plan, next)) return { later: next };
  try {
    await savePlan(ctx.db, ctx.tenantId, mapping.entity, next);
  } catch {
    return {}; // not saved, not sent: the next page is planned again when it comes
  }
  const answers = ctx.remote.send(mapping.entity, next.writes);
  // Under its plan id (random, so never another entity's), taken by the call that finds it the oldest plan saved.
  ctx.sendAhead!.start(
    next.id,
    answers.then((results) => ({ plan: next, results })),
  );
  readAppAhead(ctx, mapping, next, planner);
  return { sent: answers.catch(() => undefined) };
}

/**
 * One page of app → backend, in three phases: *plan* (decide each changed record and save the plan before anything is
 * sent), *send* (the backend writes, recognising a resent plan by its keys), *settle* (links, values the backend filled
 * in stamped back, consumed change rows and the plan's deletion, in one transaction). A crash anywhere resends the
 * saved plan; a backend whose transport is asynchronous carries it between phases. While a page settles, the next one
 * is planned (canPlanAhead) and, where nothing of this settle can stop the step, saved and sent (sendsAhead): its
 * answers are settled by the next call. Otherwise it is saved once this page has committed, for the next call to
 * send. Either way the window of a rate limit does not idle while a page is planned and settled, and without limits
 * QuickBooks writes one page while PostgreSQL settles the one before. The call returns once the requests it started
 * have answered: none outlives the step attempt that made it.
 */
export async function pushPage(
  ctx: EngineContext,
  mapping: AppEntity<unknown>,
  cursor: unknown,
  planner: PushPlanner = twoWayPlanner,
): Promise<PageOutcome> {
  const { entity } = mapping;
  // The plan sent ahead is not read back: only which plan is oldest (the one this call sends and settles).
  const saved = await loadPlan(ctx.db, ctx.tenantId, entity, ctx.sendAhead?.held);
  const sent = saved && ctx.sendAhead?.take(saved.id);
  let plan: PushPlan;
  let results: SideWriteResult[];
  if (sent) ({ plan, results } = await sent);
  else {
    if (saved?.plan) plan = saved.plan;
    else {
      plan = await planPage(ctx, mapping, cursor, planner);
      if (plan.writes.length > 0) await savePlan(ctx.db, ctx.tenantId, entity, plan);
    }
    const sending = plan.writes.length ? ctx.remote.send(entity, plan.writes) : undefined;
    if (sending && !saved?.queued) readAppAhead(ctx, mapping, plan, planner);
    results = (await sending) ?? [];
  }
  results = await retryStale(ctx, mapping, plan, results);
  // A write refused for a reference the backend no longer has (QuickBooks: 610 Object Not Found) says which.
  for (const entry of plan.entries) {
    const result = entry.write === undefined ? undefined : results[entry.write];
    if (result && !result.ok && !result.retryable && !result.stale)
      entry.vanished = await vanishedReferences(ctx, mapping, entry.sourceId);
  }
  // A plan saved after this one is the next page already (sent beside this page's settle before a crash): it is sent
  // and settled next, and nothing is planned beside this page.
  const ahead =
    !saved?.queued && canPlanAhead(ctx, planner, plan, results)
      ? nextPage(ctx, mapping, plan, results, planner)
      : undefined;
  let outcome: PageOutcome;
  try {
    outcome = await settle(ctx, mapping, plan, results);
  } catch (error) {
    // (never rejects) a plan sent ahead stays saved and is resent by the retry, after this one; its requests finish
    // first, so that the retry's never overlap them.
    const pending = await ahead;
    await pending?.sent;
    throw error;
  }
  const next = await ahead;
  // A plan kept for later is saved only after this page committed, so a crash in between leaves no plan (the next
  // page is planned again from the committed resume point); saved, it is sent like any saved plan, under the same keys
  // on every retry.
  if (next?.later) await savePlan(ctx.db, ctx.tenantId, entity, next.later);
  await next?.sent;
  return outcome;
}

async function settle(
  ctx: EngineContext,
  mapping: AppEntity<unknown>,
  plan: PushPlan,
  results: SideWriteResult[],
): Promise<PageOutcome> {
  const { entity } = mapping;
  const counts = emptyCounts();
  const problems: ProblemRecord[] = [];
  let transient: string | undefined;
  await syncTransaction(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const done: string[] = [];
    // Agreements and stamp-backs are gathered and written for the whole page at once (a few statements, not a few
    // per record); nothing in between reads them.
    const agreements: Link[] = [];
    const stamps: Stamp[] = [];
    const link = (appId: string, remoteId: string, version: string | undefined, fingerprint: string) =>
      agreements.push({ appId: Number(appId), remoteId, remoteVersion: version ?? null, fingerprint });
    const problem = async (entry: PlanEntry, p: RecordProblem, remoteId: string | undefined, skipped: boolean) => {
      const { code, message, detail, action } = p;
      const record: ProblemRecord = {
        ...{ entity, direction: 'push', appId: entry.sourceId, remoteId, label: entry.label },
        ...{ code, message, detail, action, skipped },
      };
      await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, record);
      return record;
    };
    for (const entry of plan.entries) {
      const { decision } = entry;
      const result = entry.write === undefined ? undefined : results[entry.write];
      if (result && !result.ok && result.retryable) {
        // Left unacknowledged: the activity's retry plans it again (with a new plan id, so it is really resent).
        transient = `${entry.label}: ${result.problem.message}`;
        continue;
      }
      if (entry.vanished?.length) {
        const what = entry.vanished.map((v) => `${v.entity} ${v.remoteId} (app ${v.entity} ${v.appId})`).join(', ');
        const gone = vanishedProblem(ctx, entry.label, what, 'refers to');
        if (ctx.onVanished === 'recreate') {
          // The references are queued to be created again (their steps come first next run); this record waits.
          for (const v of entry.vanished) await ctx.app.requeue(trx, v.entity as typeof entity, String(v.appId));
          await problem(
            entry,
            { ...gone, code: DEFERRED, detail: VANISHED, action: 'nothing to do: created again next run' },
            undefined,
            true,
          );
          counts.deferred = (counts.deferred ?? 0) + 1;
          continue;
        }
        problems.push(await problem(entry, gone, undefined, ctx.onRecordError === 'skip'));
        counts.failed++;
        continue;
      }
      if (decision.action === 'fail' || (result && !result.ok)) {
        const p = decision.action === 'fail' || !result || result.ok ? entry.problem! : result.problem;
        const targetId = 'targetId' in decision ? decision.targetId : undefined;
        if (
          DEPENDENCY_CODES.has(p.code ?? '') &&
          (await runsDeferred(trx, ctx.tenantId, entity, entry.sourceId)) < ctx.deferRuns
        ) {
          // Its dependency is not on the other side yet (created after this run's earlier step): it waits for the
          // next run, visibly, with its change rows kept — not a failure of this run.
          const waiting = {
            ...p,
            code: DEFERRED,
            detail: p.code,
            action: `nothing to do if it clears on the next run; else: ${p.action}`,
          };
          await problem(entry, waiting, targetId, true);
          counts.deferred = (counts.deferred ?? 0) + 1;
          continue;
        }
        problems.push(await problem(entry, p, targetId, ctx.onRecordError === 'skip'));
        counts.failed++;
        continue;
      }
      done.push(entry.sourceId);
      if (entry.notice) await problem(entry, entry.notice, undefined, true);
      switch (decision.action) {
        case 'skip':
          counts.unchanged++;
          break;
        case 'link':
          counts.unchanged++;
          // A twin adopted with values the app lacks (a handed-over sale found in the backend) carries them back.
          if (entry.keep) stamps.push({ entry, canonical: entry.keep.canonical });
          link(entry.sourceId, decision.targetId, decision.targetVersion, entry.keep?.fp ?? decision.agreed);
          break;
        case 'keep-target': {
          counts.conflicts++;
          const ids = { appId: entry.sourceId, remoteId: decision.targetId };
          await recordConflict(trx, ctx.tenantId, ctx.runId, entity, ctx.policy, ids, decision.conflict, 'app');
          stamps.push({ entry, canonical: entry.keep?.canonical });
          link(entry.sourceId, decision.targetId, decision.targetVersion, entry.keep?.fp ?? entry.sourceFp!);
          break;
        }
        case 'remove':
          counts.deleted++;
          // The agreement stays the last state both held, so the removal's own version is not one they agreed at:
          // its echo is read and decided (it settles the version then), never skipped as settled.
          if (result?.ok) await ctx.links.touchVersion(trx, entity, decision.targetId, null);
          break;
        case 'ignore':
          // Consumed (so it is not reported again every run) and recorded, so the user knows where to make the change.
          counts.ignored = (counts.ignored ?? 0) + 1;
          await problem(entry, entry.problem!, decision.targetId, true);
          break;
        case 'create':
        case 'update': {
          if (!result?.ok) break;
          const agreed = result.canonical === undefined ? entry.sourceFp! : fingerprint(result.canonical);
          // The backend may have filled in what the app left open (numbers, tax, totals): the app takes it.
          if (result.canonical !== undefined && (agreed !== entry.sourceFp || mapping.settle))
            stamps.push({ entry, canonical: result.canonical });
          link(entry.sourceId, result.targetId, result.version, agreed);
          if (decision.action === 'update' && decision.conflict) {
            counts.conflicts++;
            const ids = { appId: entry.sourceId, remoteId: result.targetId };
            await recordConflict(trx, ctx.tenantId, ctx.runId, entity, ctx.policy, ids, decision.conflict, 'app');
          }
          if (decision.action === 'create') counts.created++;
          else counts.updated++;
          break;
        }
      }
    }
    await stampBack(ctx, trx, mapping, plan, stamps, now);
    await ctx.links.upsertMany(trx, entity, agreements, now);
    await ctx.app.acknowledge(
      trx,
      done.flatMap((id) => plan.receipts[id] ?? []),
    );
    // A write to retry leaves the resume point at this page's start, so the retried step reads the page again.
    await ctx.countPage?.(trx, 'push', counts, transient ? undefined : { cursor: plan.nextCursor, done: plan.done });
    await settlePlan(trx, ctx.tenantId, entity, plan.id);
  });

  if (problems.length && ctx.onRecordError === 'stop') throw new RecordRejectedError(ctx.tenantId, problems[0]);
  if (transient)
    throw new TransientRecordError(
      `tenant ${ctx.tenantId}: the backend could not take ${transient} this time; retrying`,
    );
  return { counts, nextCursor: plan.nextCursor, done: plan.done };
}

/** A value the backend answered for a pushed record, to be written into its app row. */
interface Stamp {
  entry: PlanEntry;
  canonical: unknown;
}

/**
 * Writes the backend's versions into the app rows of a page (locked and read in one statement each). An entity with
 * its own `settle` (a sale handed over) decides how; otherwise a row is written unless the app changed it again since
 * the page was read.
 */
async function stampBack(
  ctx: EngineContext,
  trx: Trx,
  mapping: AppEntity<unknown>,
  plan: PushPlan,
  stamps: Stamp[],
  now: Date,
): Promise<void> {
  const todo = stamps.filter((s) => s.canonical !== undefined);
  if (todo.length === 0) return;
  const ids = todo.map((s) => s.entry.sourceId);
  await ctx.app.lock(trx, mapping.entity, ids);
  if (mapping.settle) {
    for (const { entry, canonical } of todo)
      await mapping.settle(trx, ctx.tenantId, Number(entry.sourceId), canonical, plan.settleWith, now);
    return;
  }
  const current = await ctx.app.load(mapping.entity, ids, trx);
  const writes = todo.flatMap(({ entry, canonical: c }) => {
    const row = current.get(entry.sourceId);
    return !row || row.canonical === undefined || fp(row) !== entry.sourceFp
      ? []
      : [{ appId: Number(entry.sourceId), c }];
  });
  if (mapping.updateApp) return mapping.updateApp(trx, ctx.tenantId, writes);
  for (const { appId, c } of writes) await mapping.writeApp(trx, ctx.tenantId, appId, c);
}

/** A stale version: re-read the backend's record, decide again under the conflict policy, and retry once. */
async function retryStale(
  ctx: EngineContext,
  mapping: AppEntity<unknown>,
  plan: PushPlan,
  results: SideWriteResult[],
): Promise<SideWriteResult[]> {
  const { entity } = mapping;
  const isStale = (e: PlanEntry) => {
    const result = e.write === undefined ? undefined : results[e.write];
    return !!result && !result.ok && !!result.stale;
  };
  const targetOf = (e: PlanEntry) => (e.decision as { targetId: string }).targetId;
  const stale = plan.entries.filter(isStale);
  if (stale.length === 0) return results;
  const fresh = await ctx.remote.load(entity, stale.map(targetOf));
  const sources = await ctx.app.load(
    entity,
    stale.map((e) => e.sourceId),
  );
  const retryWrites: SideWrite[] = [];
  const retryIndex: number[] = [];
  for (const entry of stale) {
    const source = sources.get(entry.sourceId);
    const target = fresh.get(targetOf(entry));
    if (!source || !target) continue;
    // Against the fresh backend record, the app's change is a conflict (both changed since the agreement).
    const link: Link = {
      appId: Number(entry.sourceId),
      remoteId: target.id,
      remoteVersion: target.version ?? null,
      fingerprint: '',
    };
    const decision = decide({ source, link, target, matched: false, policy: ctx.policy, sourceSide: 'app' });
    entry.decision = decision;
    entry.sourceFp = fp(source);
    if (decision.action === 'keep-target' && target.canonical !== undefined) {
      entry.keep = { canonical: target.canonical, fp: fingerprint(target.canonical) };
      entry.write = undefined;
      continue;
    }
    const write = toWrite(ctx, entity, source, decision, plan.id);
    if (!write) {
      entry.write = undefined;
      continue;
    }
    retryIndex.push(entry.write!);
    retryWrites.push(write);
  }
  if (retryWrites.length === 0) return results;
  const retried = await ctx.remote.send(entity, retryWrites);
  const out = [...results];
  retryIndex.forEach((index, i) => (out[index] = retried[i]));
  return out;
}
