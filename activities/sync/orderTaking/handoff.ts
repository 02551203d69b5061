import { randomUUID } from 'node:crypto';
import type { SaleQboEntity } from '../../../schema/tables/orderTaking';
import type { AppCursor } from '../appSide';
import { syncTransaction } from '../appSide';
import { PUSH_PAGE_SIZE, type EngineContext, type PageOutcome } from '../engine';
import { handOverSale, loadSales, saleLabel, type SaleRecord } from '../entities/sale';
import { acceptedFrom, docNumberQueries, isTwin, saleToQbo } from '../entities/saleToQbo';
import { RecordRejectedError, TransientRecordError } from '../errors';
import { fingerprint } from '../fingerprint';
import { MappingProblem, type QboObject, type RefMap } from '../mapping';
import { emptyCounts, type EntityName } from '../model';
import type { QboApi } from '../qboApi';
import { actionFor, batchRequestId } from '../qboSide';
import { IGNORED, recordProblem, type ProblemRecord } from '../records';
import type { RecordProblem } from '../side';
import { isReady, qboEntityOf, transferKindOf, type OrderTakingSettings } from './settings';

const SALE: EntityName = 'sale';

/** Sales link to an Invoice or an Estimate, whose Ids need not be unique across the two: the link names which. */
export function saleLinkId(entity: SaleQboEntity, qboId: string): string {
  return `${entity}:${qboId}`;
}

interface HandoffEntry {
  saleId: number;
  label: string;
  /**
   * send: create it in QuickBooks and hand it over; adopt: QuickBooks already has it (a handoff whose link was lost),
   * hand it over; pass: not for QuickBooks (not ready, a type that does not transfer, gone); ignore: already handed
   * over, later changes are QuickBooks' business; fail: cannot be expressed in QuickBooks.
   */
  action: 'send' | 'adopt' | 'pass' | 'ignore' | 'fail';
  entity?: SaleQboEntity;
  body?: Record<string, unknown>;
  requestKey?: string;
  fingerprint?: string;
  twin?: QboObject;
  problem?: RecordProblem;
  qboId?: string;
}

/** Saved in push_intents before anything is sent, so a retry resends exactly this (same requestid: QuickBooks replays). */
interface HandoffPlan {
  id: string;
  entries: HandoffEntry[];
  receipts: Record<string, number[]>;
  nextCursor: AppCursor;
  done: boolean;
}

async function loadPlan(ctx: EngineContext): Promise<HandoffPlan | undefined> {
  const row = await ctx.db
    .selectFrom('push_intents')
    .select('plan')
    .where('tenant_id', '=', ctx.tenantId)
    .where('entity', '=', SALE)
    .executeTakeFirst();
  return row ? (row.plan as HandoffPlan) : undefined;
}

/** App ids → QuickBooks ids of what the sales reference, and the company's numbering preference. */
async function refsFor(ctx: EngineContext, api: QboApi, sales: SaleRecord[]): Promise<RefMap> {
  const customers = await ctx.links.appToQbo(
    ctx.db,
    'customer',
    sales.map((s) => s.customerId),
  );
  const items = await ctx.links.appToQbo(
    ctx.db,
    'item',
    sales.flatMap((s) => s.lines.flatMap((l) => (l.itemId ? [l.itemId] : []))),
  );
  const taxCodes = await ctx.links.appToQbo(
    ctx.db,
    'tax_code',
    sales.flatMap((s) => [s.taxCodeId, ...s.lines.map((l) => l.taxCodeId)].filter((id): id is number => !!id)),
  );
  const byEntity: Partial<Record<EntityName, Map<number, string>>> = {
    customer: customers,
    item: items,
    tax_code: taxCodes,
  };
  return {
    appId: () => undefined,
    qboId: (entity, appId) => (appId ? byEntity[entity]?.get(appId) : undefined),
    customTxnNumbers: await api.customTxnNumbers(),
  };
}

/**
 * With custom transaction numbers on, a ready sale may already be in QuickBooks under its number (handed over before
 * its link was lost): found by number, customer and amount, it is linked instead of created a second time.
 */
async function findTwins(
  ctx: EngineContext,
  api: QboApi,
  refs: RefMap,
  candidates: Array<{ sale: SaleRecord; entity: SaleQboEntity }>,
): Promise<Map<number, QboObject>> {
  const twins = new Map<number, QboObject>();
  if (!refs.customTxnNumbers) return twins;
  for (const entity of ['Invoice', 'Estimate'] as const) {
    const mine = candidates.filter((c) => c.entity === entity && c.sale.number);
    if (mine.length === 0) continue;
    const objects: QboObject[] = [];
    for (const q of docNumberQueries(
      entity,
      mine.map((c) => c.sale.number!),
    ))
      objects.push(...(await api.query(entity, q)).objects);
    const linked = await ctx.links.byQboIds(
      ctx.db,
      SALE,
      objects.map((o) => saleLinkId(entity, o.Id)),
    );
    const free = objects.filter((o) => !linked.has(saleLinkId(entity, o.Id)));
    for (const { sale } of mine) {
      const customer = refs.qboId('customer', sale.customerId);
      const twin = customer ? free.find((o) => isTwin(sale, customer, o)) : undefined;
      if (!twin) continue;
      twins.set(sale.id, twin);
      free.splice(free.indexOf(twin), 1);
    }
  }
  return twins;
}

async function planHandoff(
  ctx: EngineContext,
  api: QboApi,
  settings: OrderTakingSettings,
  cursor: unknown,
): Promise<HandoffPlan> {
  const page = await ctx.app.changedIds(SALE, cursor, PUSH_PAGE_SIZE);
  const sales = await loadSales(ctx.db, ctx.tenantId, page.recordIds);
  const links = await ctx.links.byAppIds(ctx.db, SALE, page.recordIds);
  const plan: HandoffPlan = {
    id: randomUUID(),
    entries: [],
    receipts: page.receipts,
    nextCursor: page.nextCursor,
    done: page.done,
  };
  const candidates: Array<{
    sale: SaleRecord;
    entry: HandoffEntry;
    kind: NonNullable<ReturnType<typeof transferKindOf>>;
    entity: SaleQboEntity;
  }> = [];

  for (const id of page.recordIds) {
    const sale = sales.get(id);
    if (!sale) {
      plan.entries.push({ saleId: id, label: `sale ${id} (no longer in the app)`, action: 'pass' });
      continue;
    }
    const entry: HandoffEntry = { saleId: id, label: saleLabel(sale), action: 'pass' };
    plan.entries.push(entry);
    const link = links.get(id);
    if (sale.handedOver || link) {
      // The guard of the handoff: once QuickBooks has the sale, nothing the app does to it is sent again.
      const where = sale.handedOver
        ? `${sale.handedOver.entity ?? 'document'} ${sale.handedOver.docNumber ?? sale.handedOver.qboId ?? ''}`.trim()
        : link!.qboId.replace(':', ' ');
      Object.assign(entry, {
        action: 'ignore',
        qboId: sale.handedOver?.qboId ?? link?.qboId,
        problem: {
          code: IGNORED,
          message: `${entry.label} was handed over to QuickBooks as ${where}; app changes after the handoff are not sent`,
          action: 'make further changes to it in QuickBooks',
        },
      });
      continue;
    }
    const kind = transferKindOf(sale.type, settings);
    if (!kind || !isReady(sale.status, settings)) continue;
    candidates.push({ sale, entry, kind, entity: qboEntityOf(kind, settings) });
  }
  if (candidates.length === 0) return plan;

  const refs = await refsFor(
    ctx,
    api,
    candidates.map((c) => c.sale),
  );
  const twins = await findTwins(ctx, api, refs, candidates);
  for (const { sale, entry, kind, entity } of candidates) {
    entry.entity = entity;
    const twin = twins.get(sale.id);
    if (twin) {
      Object.assign(entry, { action: 'adopt', twin });
      continue;
    }
    const body = saleToQbo(sale, kind, entity, refs);
    if (body instanceof MappingProblem) {
      Object.assign(entry, {
        action: 'fail',
        problem: { code: body.code, message: body.message, detail: body.detail, action: body.action },
      });
      continue;
    }
    // One sale is created in QuickBooks once: every resend of this plan carries the same key, hence the same requestid.
    Object.assign(entry, {
      action: 'send',
      body,
      fingerprint: fingerprint(body),
      requestKey: `${plan.id}|${ctx.tenantId}|${SALE}|${sale.id}|create`,
    });
  }
  return plan;
}

/**
 * One page of the sales handoff (order-taking mode, invoices step): ready sales of a transferable type become
 * QuickBooks Invoices or Estimates; once QuickBooks accepts one, the sale takes the "done" status and QuickBooks' Id,
 * DocNumber and totals, in the transaction that writes its link and consumes its changes. The plan is saved before
 * anything is sent and resent unchanged after a crash, so QuickBooks answers from its requestid memory: a crash or retry
 * in the middle of a handoff never makes a second document.
 */
export async function handoffPage(
  ctx: EngineContext,
  api: QboApi,
  settings: OrderTakingSettings,
  cursor: unknown,
): Promise<PageOutcome> {
  const counts = emptyCounts();
  let plan = await loadPlan(ctx);
  if (!plan) {
    plan = await planHandoff(ctx, api, settings, cursor);
    if (plan.entries.some((e) => e.action === 'send')) {
      await ctx.db
        .insertInto('push_intents')
        .values({ tenant_id: ctx.tenantId, entity: SALE, request_id: plan.id, plan: JSON.stringify(plan) })
        .execute();
    }
  }

  const sends = plan.entries.filter((e) => e.action === 'send');
  const answers = sends.length
    ? await api.batch(
        sends.map((e) => ({ operation: 'create' as const, entityName: e.entity!, body: e.body! })),
        batchRequestId(sends.map((e) => e.requestKey!)),
      )
    : [];
  const answerOf = new Map(sends.map((e, i) => [e.saleId, answers[i]]));

  const problems: ProblemRecord[] = [];
  let transient: string | undefined;
  await syncTransaction(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    // A concurrent app edit of a sale being handed over waits for this commit (and is then ignored as after the handoff).
    await ctx.app.lock(
      trx,
      SALE,
      plan!.entries.filter((e) => e.action === 'send' || e.action === 'adopt').map((e) => String(e.saleId)),
    );
    const done: number[] = [];
    const fail = async (entry: HandoffEntry, p: RecordProblem) => {
      const problem: ProblemRecord = {
        entity: SALE,
        direction: 'push',
        appId: String(entry.saleId),
        label: entry.label,
        code: p.code,
        message: p.message,
        detail: p.detail,
        action: p.action,
        skipped: ctx.onRecordError === 'skip',
      };
      problems.push(problem);
      counts.failed++;
      await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, problem);
    };
    const handOver = async (entry: HandoffEntry, object: QboObject) => {
      const accepted = acceptedFrom(entry.entity!, object);
      await handOverSale(trx, ctx.tenantId, entry.saleId, accepted, settings.doneStatus, now);
      await ctx.links.upsert(
        trx,
        SALE,
        {
          appId: entry.saleId,
          qboId: saleLinkId(accepted.entity, accepted.qboId),
          qboSyncToken: object.SyncToken ?? null,
          fingerprint: entry.fingerprint ?? fingerprint(object),
        },
        now,
      );
    };

    for (const entry of plan!.entries) {
      switch (entry.action) {
        case 'pass':
          counts.unchanged++;
          done.push(entry.saleId);
          break;
        case 'ignore':
          counts.ignored = (counts.ignored ?? 0) + 1;
          await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, {
            entity: SALE,
            direction: 'push',
            appId: String(entry.saleId),
            qboId: entry.qboId,
            label: entry.label,
            code: entry.problem!.code,
            message: entry.problem!.message,
            action: entry.problem!.action,
            skipped: true,
          });
          done.push(entry.saleId);
          break;
        case 'fail':
          // Its changes stay in the log: the sale is tried again once it is fixed (or on the next run, with `skip`).
          await fail(entry, entry.problem!);
          break;
        case 'adopt':
          await handOver(entry, entry.twin!);
          counts.unchanged++;
          done.push(entry.saleId);
          break;
        case 'send': {
          const answer = answerOf.get(entry.saleId)!;
          if (!answer.ok) {
            if (answer.transient) {
              // Left unacknowledged: the activity's retry plans it again (a new plan id, so it is really resent).
              transient = `${entry.label}: ${answer.message}`;
              break;
            }
            await fail(entry, {
              code: answer.code,
              message: answer.message,
              detail: answer.detail,
              action: actionFor(answer.code),
            });
            break;
          }
          await handOver(entry, answer.object);
          counts.created++;
          done.push(entry.saleId);
          break;
        }
      }
    }
    await ctx.app.acknowledge(
      trx,
      done.flatMap((id) => plan!.receipts[String(id)] ?? []),
    );
    await ctx.countPage?.(trx, 'push', counts);
    await trx.deleteFrom('push_intents').where('tenant_id', '=', ctx.tenantId).where('entity', '=', SALE).execute();
  });

  if (problems.length && ctx.onRecordError === 'stop') throw new RecordRejectedError(ctx.tenantId, problems[0]);
  if (transient)
    throw new TransientRecordError(
      `tenant ${ctx.tenantId}: QuickBooks could not take ${transient} this time; retrying`,
    );
  return { counts, nextCursor: plan.nextCursor, done: plan.done };
}
