import { randomUUID } from 'node:crypto';
import type { Clock } from '../../workers/clock';
import type { AppCursor, AppSide } from './appSide';
import { syncTransaction } from './appSide';
import { readCursor, writeCursor } from './cursors';
import { decide, type Decision } from './decide';
import { RecordRejectedError, TransientRecordError } from './errors';
import { fingerprint } from './fingerprint';
import type { Link, LinkStore } from './links';
import type { EntityMapping } from './mapping';
import { emptyCounts, type ConflictPolicy, type OnRecordError, type PageCounts, type StepName } from './model';
import type { QboSide } from './qboSide';
import { IGNORED, recordConflict, recordProblem, type ProblemRecord } from './records';
import type { Db, RecordProblem, SideRecord, SideWrite, SideWriteResult, Trx } from './side';

export interface EngineContext {
  db: Db;
  clock: Clock;
  tenantId: string;
  runId: string;
  step: StepName;
  app: AppSide;
  qbo: QboSide;
  links: LinkStore;
  policy: ConflictPolicy;
  onRecordError: OnRecordError;
  /** Called inside each page's transaction, so counts are committed exactly when the page is. */
  countPage?: (trx: Trx, direction: 'pull' | 'push', counts: PageCounts) => Promise<void>;
}

export interface PageOutcome {
  counts: PageCounts;
  /** For pushes, where the next page starts within this run (pulls keep their cursor in PostgreSQL). */
  nextCursor: unknown;
  done: boolean;
}

export const PULL_PAGE_SIZE = 1000;
export const PUSH_PAGE_SIZE = 30;

/**
 * The key a QuickBooks write's requestid derives from. `planId` is saved with the plan before anything is sent, so every
 * retry of a plan reuses it (QuickBooks replays instead of repeating); a later plan gets a new one, so a write that
 * failed is really attempted again rather than answered with the stored failure.
 */
function requestKey(
  planId: string,
  ctx: EngineContext,
  mapping: EntityMapping<unknown>,
  sourceId: string,
  decision: Decision,
  canonicalFp?: string,
): string {
  const base = `${planId}|${ctx.tenantId}|${mapping.entity}|${sourceId}`;
  switch (decision.action) {
    case 'create':
      // One app record is created in QuickBooks once, whatever its content by the time a retry comes.
      return `${base}|create`;
    case 'update':
      return `${base}|update|${decision.baseVersion ?? ''}|${canonicalFp ?? ''}`;
    case 'remove':
      return `${base}|remove|${decision.baseVersion ?? ''}`;
    default:
      return base;
  }
}

function toWrite(
  ctx: EngineContext,
  mapping: EntityMapping<unknown>,
  source: SideRecord,
  decision: Decision,
  planId = '',
): SideWrite | undefined {
  const fp = source.canonical === undefined ? undefined : fingerprint(source.canonical);
  const key = requestKey(planId, ctx, mapping, source.id, decision, fp);
  if (decision.action === 'create')
    return { kind: 'create', sourceId: source.id, canonical: source.canonical, requestKey: key };
  if (decision.action === 'update')
    return {
      kind: 'update',
      sourceId: source.id,
      targetId: decision.targetId,
      baseVersion: decision.baseVersion,
      canonical: source.canonical,
      requestKey: key,
    };
  if (decision.action === 'remove')
    return {
      kind: 'remove',
      sourceId: source.id,
      targetId: decision.targetId,
      baseVersion: decision.baseVersion,
      how: decision.how,
      requestKey: key,
    };
  return undefined;
}

function problemOf(
  entity: EntityMapping<unknown>,
  direction: 'pull' | 'push',
  source: SideRecord,
  targetId: string | undefined,
  p: { code?: string; message: string; detail?: string; action: string },
  skipped: boolean,
): ProblemRecord {
  const ids = direction === 'pull' ? { qboId: source.id, appId: targetId } : { appId: source.id, qboId: targetId };
  return {
    entity: entity.entity,
    direction,
    ...ids,
    label: source.label,
    code: p.code,
    message: p.message,
    detail: p.detail,
    action: p.action,
    skipped,
  };
}

/**
 * One page of QuickBooks → app: read up to 1000 changes after the stored cursor and, in one transaction with the app
 * rows locked, decide, write the app, write the links and move the cursor. A crash anywhere leaves the page to be
 * read again, and re-reading it changes nothing that was already applied.
 */
export async function pullPage(ctx: EngineContext, mapping: EntityMapping<unknown>): Promise<PageOutcome> {
  const counts = emptyCounts();
  const cursor = await readCursor(ctx.db, ctx.tenantId, mapping.entity);
  const page = await ctx.qbo.readChanges(mapping.entity, cursor, PULL_PAGE_SIZE);
  const links = await ctx.links.byQboIds(
    ctx.db,
    mapping.entity,
    page.records.map((r) => r.id),
  );
  let rejected: RecordRejectedError | undefined;

  await syncTransaction(ctx.db, async (trx) => {
    const linkedAppIds = [...links.values()].map((l) => String(l.appId));
    await ctx.app.lock(trx, mapping.entity, linkedAppIds);
    const targets = await ctx.app.load(mapping.entity, linkedAppIds, trx);
    const unlinked = page.records.filter(
      (r) => !links.has(r.id) && (!r.deleted || r.deleted === 'inactive') && r.canonical !== undefined && !r.problem,
    );
    const matches = await ctx.app.findMatches(
      mapping.entity,
      unlinked.map((r) => r.canonical),
      trx,
    );
    const matchOf = new Map(unlinked.map((r, i) => [r.id, matches[i]]));
    const now = ctx.clock.now();

    const pageLinks = new Map<string, number>();
    const createdLinks: Link[] = [];
    const deferred: SideRecord[] = [];
    const apply = async (source: SideRecord): Promise<void> => {
      const link = links.get(source.id);
      const target = link ? targets.get(String(link.appId)) : matchOf.get(source.id);
      const decision = decide({
        source,
        link,
        target,
        matched: !link && !!target,
        policy: ctx.policy,
        sourceSide: 'quickbooks',
      });
      if (decision.action === 'fail') {
        const problem = problemOf(mapping, 'pull', source, target?.id, source.problem!, ctx.onRecordError === 'skip');
        counts.failed++;
        if (ctx.onRecordError === 'stop') {
          rejected = new RecordRejectedError(ctx.tenantId, problem);
          throw rejected;
        }
        await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, problem);
        return;
      }
      const sourceFp = source.canonical === undefined ? undefined : fingerprint(source.canonical);
      if ('targetId' in decision) pageLinks.set(source.id, Number(decision.targetId));
      switch (decision.action) {
        case 'skip':
          counts.unchanged++;
          if (link) pageLinks.set(source.id, link.appId);
          if (link && source.version && link.qboSyncToken !== source.version)
            await ctx.links.touchVersion(trx, mapping.entity, source.id, source.version);
          break;
        case 'link':
          counts.unchanged++;
          await ctx.links.upsert(
            trx,
            mapping.entity,
            {
              appId: Number(decision.targetId),
              qboId: source.id,
              qboSyncToken: source.version ?? null,
              fingerprint: decision.agreed,
            },
            now,
          );
          break;
        case 'keep-target':
          // The app's version wins: agree on QuickBooks' state so the app's differing one is pushed in this step.
          counts.conflicts++;
          await recordConflict(
            trx,
            ctx.tenantId,
            ctx.runId,
            mapping.entity,
            ctx.policy,
            { appId: decision.targetId, qboId: source.id },
            decision.conflict,
            'quickbooks',
          );
          await ctx.links.upsert(
            trx,
            mapping.entity,
            {
              appId: Number(decision.targetId),
              qboId: source.id,
              qboSyncToken: source.version ?? null,
              fingerprint: sourceFp!,
            },
            now,
          );
          await ctx.app.requeue(trx, mapping.entity, decision.targetId);
          break;
        case 'remove':
          await ctx.app.applyPage(mapping.entity, [toWrite(ctx, mapping, source, decision)!], trx);
          counts.deleted++;
          break;
        case 'create':
        case 'update': {
          const [result] = await ctx.app.applyPage(mapping.entity, [toWrite(ctx, mapping, source, decision)!], trx);
          if (!result.ok) throw new Error(`app write failed for ${source.label}: ${result.problem.message}`);
          pageLinks.set(source.id, Number(result.targetId));
          const newLink = {
            appId: Number(result.targetId),
            qboId: source.id,
            qboSyncToken: source.version ?? null,
            fingerprint: sourceFp!,
          };
          if (decision.action === 'create' && !link && !target) createdLinks.push(newLink);
          else await ctx.links.upsert(trx, mapping.entity, newLink, now);
          if (decision.action === 'update' && decision.conflict) {
            counts.conflicts++;
            await recordConflict(
              trx,
              ctx.tenantId,
              ctx.runId,
              mapping.entity,
              ctx.policy,
              { appId: result.targetId, qboId: source.id },
              decision.conflict,
              'quickbooks',
            );
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
    for (let progress = true; deferred.length && progress;) {
      progress = false;
      for (const waiting of [...deferred]) {
        const again = await ctx.qbo.remap(mapping.entity, waiting, pageLinks);
        if (again.problem && deferred.length > 1) continue;
        deferred.splice(deferred.indexOf(waiting), 1);
        progress = true;
        await apply(again);
      }
    }
    for (const source of deferred) await apply(source);
    await ctx.links.insertNew(trx, mapping.entity, createdLinks, now);
    await ctx.countPage?.(trx, 'pull', counts);
    await writeCursor(trx, ctx.tenantId, mapping.entity, page.nextCursor, now);
  }).catch(async (error) => {
    if (error === rejected && rejected) {
      // The page rolled back (it is read again next run); the problem itself is kept.
      await syncTransaction(ctx.db, (trx) => recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, rejected!.problem));
    }
    throw error;
  });
  return { counts, nextCursor: null, done: page.done };
}

interface PushPlanEntry {
  sourceId: string;
  label: string;
  sourceFp?: string;
  decision: Decision;
  /** Index into plan.writes, when the decision writes to QuickBooks. */
  write?: number;
  /** The QuickBooks record kept by a conflict, carried back into the app. */
  keep?: { canonical: unknown; fp: string };
  /** Why the app record cannot be sent (decided before sending). */
  problem?: RecordProblem;
}

interface PushPlan {
  id: string;
  requestKeys: string[];
  writes: SideWrite[];
  entries: PushPlanEntry[];
  receipts: Record<string, number[]>;
  nextCursor: AppCursor;
  done: boolean;
}

async function loadIntent(ctx: EngineContext, entity: string): Promise<PushPlan | undefined> {
  const row = await ctx.db
    .selectFrom('push_intents')
    .select('plan')
    .where('tenant_id', '=', ctx.tenantId)
    .where('entity', '=', entity)
    .executeTakeFirst();
  return row ? (row.plan as PushPlan) : undefined;
}

/** An app change the mapping does not send: unchanged records stay quiet, the rest are reported as ignored. */
function ignoredEntry(mapping: EntityMapping<unknown>, source: SideRecord, link: Link | undefined): PushPlanEntry {
  const sourceFp = source.canonical === undefined ? undefined : fingerprint(source.canonical);
  const entry: PushPlanEntry = {
    sourceId: source.id,
    label: source.label,
    sourceFp,
    decision: { action: 'ignore', targetId: link?.qboId },
  };
  if (link && sourceFp === link.fingerprint) entry.decision = { action: 'skip', why: 'unchanged' };
  else if (!link && source.deleted) entry.decision = { action: 'skip', why: 'removed-unlinked' };
  else
    entry.problem = {
      code: IGNORED,
      message: mapping.ignoreAppChanges!.message,
      action: mapping.ignoreAppChanges!.action,
    };
  return entry;
}

async function planPush(ctx: EngineContext, mapping: EntityMapping<unknown>, cursor: unknown): Promise<PushPlan> {
  const page = await ctx.app.readChanges(mapping.entity, cursor, PUSH_PAGE_SIZE);
  const links = await ctx.links.byAppIds(
    ctx.db,
    mapping.entity,
    page.records.map((r) => Number(r.id)),
  );
  const ignoring = mapping.ignoreAppChanges;
  const ignored = (r: SideRecord) => !!ignoring && (links.has(Number(r.id)) ? ignoring.linked : ignoring.unlinked);
  // Records whose changes are ignored are not looked up in QuickBooks at all.
  const sent = page.records.filter((r) => !ignored(r));
  const targets = await ctx.qbo.load(
    mapping.entity,
    sent.flatMap((r) => links.get(Number(r.id))?.qboId ?? []),
  );
  const unlinked = sent.filter((r) => !links.has(Number(r.id)) && !r.deleted && !r.problem);
  const matches = await ctx.qbo.findMatches(
    mapping.entity,
    unlinked.map((r) => r.canonical),
  );
  const matchOf = new Map(unlinked.map((r, i) => [r.id, matches[i]]));

  const plan: PushPlan = {
    id: randomUUID(),
    requestKeys: [],
    writes: [],
    entries: [],
    receipts: page.receipts ?? {},
    nextCursor: page.nextCursor as AppCursor,
    done: page.done,
  };
  for (const source of page.records) {
    const link = links.get(Number(source.id));
    if (ignored(source)) {
      plan.entries.push(ignoredEntry(mapping, source, link));
      continue;
    }
    const target = link ? targets.get(link.qboId) : matchOf.get(source.id);
    const decision = decide({
      source,
      link,
      target,
      matched: !link && !!target,
      policy: ctx.policy,
      sourceSide: 'app',
    });
    const entry: PushPlanEntry = {
      sourceId: source.id,
      label: source.label,
      sourceFp: source.canonical === undefined ? undefined : fingerprint(source.canonical),
      decision,
    };
    if (decision.action === 'keep-target' && target?.canonical !== undefined)
      entry.keep = { canonical: target.canonical, fp: fingerprint(target.canonical) };
    const write = toWrite(ctx, mapping, source, decision, plan.id);
    if (write) {
      entry.write = plan.writes.length;
      plan.writes.push(write);
      plan.requestKeys.push(write.requestKey);
    }
    if (decision.action === 'fail') entry.problem = source.problem;
    plan.entries.push(entry);
  }
  return plan;
}

/**
 * One page of app → QuickBooks (at most one batch of 30): plan it, save the plan as an intent, send it with
 * deterministic requestids, then commit links, numbers stamped back and consumed changes in one transaction.
 * A crash after sending resends the saved plan, which QuickBooks answers from its requestid memory.
 */
export async function pushPage(
  ctx: EngineContext,
  mapping: EntityMapping<unknown>,
  cursor: unknown,
): Promise<PageOutcome> {
  const counts = emptyCounts();
  let plan = await loadIntent(ctx, mapping.entity);
  if (!plan) {
    plan = await planPush(ctx, mapping, cursor);
    if (plan.writes.length > 0) {
      const json = JSON.stringify(plan);
      await ctx.db
        .insertInto('push_intents')
        .values({ tenant_id: ctx.tenantId, entity: mapping.entity, request_id: plan.id, plan: json })
        .execute();
    }
  }

  let results: SideWriteResult[] = plan.writes.length ? await ctx.qbo.applyPage(mapping.entity, plan.writes) : [];
  results = await retryStale(ctx, mapping, plan, results);

  const problems: ProblemRecord[] = [];
  let transient: string | undefined;
  await syncTransaction(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const done: string[] = [];
    for (const entry of plan!.entries) {
      const { decision } = entry;
      const result = entry.write === undefined ? undefined : results[entry.write];
      if (result && !result.ok && result.retryable) {
        // Left unacknowledged: the activity's retry plans it again (with a new plan id, so it is really resent).
        transient = `${entry.label}: ${result.problem.message}`;
        continue;
      }
      if (decision.action === 'fail' || (result && !result.ok)) {
        const p = decision.action === 'fail' || !result || result.ok ? entry.problem! : result.problem;
        const targetId = 'targetId' in decision ? decision.targetId : undefined;
        const problem: ProblemRecord = {
          entity: mapping.entity,
          direction: 'push',
          appId: entry.sourceId,
          qboId: targetId,
          label: entry.label,
          code: p.code,
          message: p.message,
          detail: p.detail,
          action: p.action,
          skipped: ctx.onRecordError === 'skip',
        };
        problems.push(problem);
        await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, problem);
        counts.failed++;
        continue;
      }
      done.push(entry.sourceId);
      switch (decision.action) {
        case 'skip':
          counts.unchanged++;
          break;
        case 'link':
          counts.unchanged++;
          await ctx.links.upsert(
            trx,
            mapping.entity,
            {
              appId: Number(entry.sourceId),
              qboId: decision.targetId,
              qboSyncToken: decision.targetVersion ?? null,
              fingerprint: decision.agreed,
            },
            now,
          );
          break;
        case 'keep-target': {
          counts.conflicts++;
          await recordConflict(
            trx,
            ctx.tenantId,
            ctx.runId,
            mapping.entity,
            ctx.policy,
            { appId: entry.sourceId, qboId: decision.targetId },
            decision.conflict,
            'app',
          );
          await stampBack(ctx, trx, mapping, entry.sourceId, entry.sourceFp, entry.keep?.canonical);
          await ctx.links.upsert(
            trx,
            mapping.entity,
            {
              appId: Number(entry.sourceId),
              qboId: decision.targetId,
              qboSyncToken: decision.targetVersion ?? null,
              fingerprint: entry.keep?.fp ?? entry.sourceFp!,
            },
            now,
          );
          break;
        }
        case 'remove':
          counts.deleted++;
          if (result?.ok && result.version)
            await ctx.links.touchVersion(trx, mapping.entity, decision.targetId, result.version);
          break;
        case 'ignore': {
          // Consumed (so it is not reported again every run) and recorded, so the user knows where to make the change.
          counts.ignored = (counts.ignored ?? 0) + 1;
          const p = entry.problem!;
          await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, {
            entity: mapping.entity,
            direction: 'push',
            appId: entry.sourceId,
            qboId: decision.targetId,
            label: entry.label,
            code: p.code,
            message: p.message,
            action: p.action,
            skipped: true,
          });
          break;
        }
        case 'create':
        case 'update': {
          if (!result?.ok) break;
          const agreed = result.canonical === undefined ? entry.sourceFp! : fingerprint(result.canonical);
          // QuickBooks may have filled in what the app left open (DocNumber, tax, totals): the app takes it, so both agree.
          if (result.canonical !== undefined && agreed !== entry.sourceFp)
            await stampBack(ctx, trx, mapping, entry.sourceId, entry.sourceFp, result.canonical);
          await ctx.links.upsert(
            trx,
            mapping.entity,
            {
              appId: Number(entry.sourceId),
              qboId: result.targetId,
              qboSyncToken: result.version ?? null,
              fingerprint: agreed,
            },
            now,
          );
          if (decision.action === 'update' && decision.conflict) {
            counts.conflicts++;
            await recordConflict(
              trx,
              ctx.tenantId,
              ctx.runId,
              mapping.entity,
              ctx.policy,
              { appId: entry.sourceId, qboId: result.targetId },
              decision.conflict,
              'app',
            );
          }
          if (decision.action === 'create') counts.created++;
          else counts.updated++;
          break;
        }
      }
    }
    await ctx.app.acknowledge(
      trx,
      done.flatMap((id) => plan!.receipts[id] ?? []),
    );
    await ctx.countPage?.(trx, 'push', counts);
    await trx
      .deleteFrom('push_intents')
      .where('tenant_id', '=', ctx.tenantId)
      .where('entity', '=', mapping.entity)
      .execute();
  });

  if (problems.length && ctx.onRecordError === 'stop') throw new RecordRejectedError(ctx.tenantId, problems[0]);
  if (transient)
    throw new TransientRecordError(
      `tenant ${ctx.tenantId}: QuickBooks could not take ${transient} this time; retrying`,
    );
  return { counts, nextCursor: plan.nextCursor, done: plan.done };
}

/** Writes QuickBooks' version into the app row, unless the app changed it again since the page was read. */
async function stampBack(
  ctx: EngineContext,
  trx: Trx,
  mapping: EntityMapping<unknown>,
  appId: string,
  readFp: string | undefined,
  canonical: unknown,
): Promise<void> {
  if (canonical === undefined) return;
  await ctx.app.lock(trx, mapping.entity, [appId]);
  const current = (await ctx.app.load(mapping.entity, [appId], trx)).get(appId);
  if (!current || current.canonical === undefined || fingerprint(current.canonical) !== readFp) return;
  await mapping.writeApp(trx, ctx.tenantId, Number(appId), canonical);
}

/** A stale SyncToken (5010): re-read the QuickBooks record, decide again under the conflict policy, and retry once. */
async function retryStale(
  ctx: EngineContext,
  mapping: EntityMapping<unknown>,
  plan: PushPlan,
  results: SideWriteResult[],
): Promise<SideWriteResult[]> {
  const stale = plan.entries.filter(
    (e) =>
      e.write !== undefined &&
      results[e.write] &&
      !results[e.write].ok &&
      (results[e.write] as { stale?: boolean }).stale,
  );
  if (stale.length === 0) return results;
  const fresh = await ctx.qbo.load(
    mapping.entity,
    stale.map((e) => (e.decision as { targetId: string }).targetId),
  );
  const sources = await ctx.app.load(
    mapping.entity,
    stale.map((e) => e.sourceId),
  );
  const retryWrites: SideWrite[] = [];
  const retryIndex: number[] = [];
  for (const entry of stale) {
    const source = sources.get(entry.sourceId);
    const target = fresh.get((entry.decision as { targetId: string }).targetId);
    if (!source || !target) continue;
    const link = {
      appId: Number(entry.sourceId),
      qboId: target.id,
      qboSyncToken: target.version ?? null,
      fingerprint: entry.sourceFp ?? '',
    };
    // Against the fresh QuickBooks record, the app's change is a conflict (both changed since the agreement).
    const decision = decide({
      source,
      link: { ...link, fingerprint: '' },
      target,
      matched: false,
      policy: ctx.policy,
      sourceSide: 'app',
    });
    entry.decision = decision;
    entry.sourceFp = source.canonical === undefined ? undefined : fingerprint(source.canonical);
    if (decision.action === 'keep-target' && target.canonical !== undefined) {
      entry.keep = { canonical: target.canonical, fp: fingerprint(target.canonical) };
      entry.write = undefined;
      continue;
    }
    const write = toWrite(ctx, mapping, source, decision, plan.id);
    if (!write) {
      entry.write = undefined;
      continue;
    }
    retryIndex.push(entry.write!);
    retryWrites.push(write);
  }
  if (retryWrites.length === 0) return results;
  const retried = await ctx.qbo.applyPage(mapping.entity, retryWrites);
  const out = [...results];
  retryIndex.forEach((index, i) => (out[index] = retried[i]));
  return out;
}
