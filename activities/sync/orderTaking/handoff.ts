import { addEntry, toWrite, type PushPlanner } from '../engine';
import type { SaleRecord, SaleToSend } from '../entities/sale';
import { fingerprint } from '../fingerprint';
import { IGNORED } from '../records';
import type { SideRecord } from '../backend';
import { isReady, transferKindOf, type OrderTakingSettings } from './settings';

/**
 * The sales handoff (order-taking mode, invoices step) as a plan of the one push skeleton (engine.ts): ready sales of a
 * transferable type are created in the backend, which numbers them; once it accepts one, the sale takes the "done"
 * status and the backend's ids, number and totals (saleEntity.settle) in the transaction that writes its link and
 * consumes its changes. The plan is saved before anything is sent and resent unchanged after a crash, so a crash or
 * retry in the middle of a handoff never makes a second document.
 *
 * - not ready, a type that does not transfer, gone from the app: passed (consumed, nothing sent);
 * - already handed over: ignored — from then on the sale is the backend's, whatever the app does to it;
 * - in the backend already (a handoff whose link was lost, found by the backend's twin search): adopted;
 * - otherwise: created.
 */
export function handoffPlanner(settings: OrderTakingSettings): PushPlanner {
  return {
    async plan(ctx, mapping, page, plan) {
      plan.settleWith = { doneStatus: settings.doneStatus };
      const links = await ctx.links.byAppIds(
        ctx.db,
        'sale',
        page.records.map((r) => Number(r.id)),
      );
      const candidates: Array<{ source: SideRecord; sale: SaleToSend }> = [];
      for (const source of page.records) {
        const sale = source.canonical as SaleRecord | undefined;
        const entry = { sourceId: source.id, label: source.label };
        const link = links.get(Number(source.id));
        if (sale && (sale.handedOver || link)) {
          // The guard of the handoff: once the backend has the sale, nothing the app does to it is sent again.
          const where = sale.handedOver
            ? `${sale.handedOver.entity ?? 'document'} ${sale.handedOver.docNumber ?? sale.handedOver.qboId ?? ''}`
            : link!.remoteId.replace(':', ' ');
          const problem = {
            code: IGNORED,
            message: `${source.label} was handed over to QuickBooks as ${where.trim()}; app changes after the handoff are not sent`,
            action: 'make further changes to it in QuickBooks',
          };
          const targetId = sale.handedOver?.qboId ?? link?.remoteId;
          addEntry(plan, { ...entry, decision: { action: 'ignore', targetId }, problem }, undefined);
          continue;
        }
        const kind = sale ? transferKindOf(sale.type, settings) : undefined;
        if (!sale || !kind || !isReady(sale.status, settings)) {
          addEntry(plan, { ...entry, decision: { action: 'skip', why: 'unchanged' } }, undefined);
          continue;
        }
        candidates.push({ source, sale: { ...sale, transfer: { kind, orderAs: settings.orderAs } } });
      }
      if (candidates.length === 0) return;

      const twins = await ctx.remote.findTwins(
        'sale',
        candidates.map((c) => c.sale),
      );
      candidates.forEach(({ source, sale }, i) => {
        const twin = twins[i];
        const sourceFp = fingerprint(sale);
        const entry = { sourceId: source.id, label: source.label, sourceFp };
        if (twin?.canonical !== undefined) {
          const keep = { canonical: twin.canonical, fp: fingerprint(twin.canonical) };
          const decision = { action: 'link' as const, targetId: twin.id, agreed: keep.fp, targetVersion: twin.version };
          addEntry(plan, { ...entry, decision, keep }, undefined);
          return;
        }
        const decision = { action: 'create' as const };
        addEntry(plan, { ...entry, decision }, toWrite(ctx, mapping.entity, source, decision, plan.id, sale));
      });
    },
  };
}
