import { qboEntitiesFor } from '../../activities/backends/quickbooks-online/entities';
import type { QboObject } from '../../activities/backends/quickbooks-online/entity';
import { MAPPINGS } from '../../activities/sync/entities';
import { MappingProblem } from '../../activities/sync/entity';
import { stableJson } from '../../activities/sync/fingerprint';
import { compareTenant, refsThroughLinks, summary } from '../chaos/compare';
import { resultOrStuck, startRun } from '../chaos/scenario';
import type { Stack } from '../helpers/stack';
import { until } from '../helpers/until';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';
import { expectedOf, prng } from './model';

/**
 * The model-based test on the whole stack: the real worker process (SIGKILLed inside runs and restarted), the real
 * `syncTenant` workflow on the Temporal dev server, PostgreSQL, and the QuickBooks Online emulator answering as
 * QuickBooks does. A random sequence of operations on both sides — customers created, edited, cleared, deactivated and
 * reactivated; invoices created and edited (memo, line quantities); payments applied — with runs in between, some of
 * them killed after k more QuickBooks requests. After every run both sides must equal the reference model field by
 * field (`expectedOf`: one side changed → that side; both → the tenant's policy), and the full comparison of the
 * reliability suite (duplicates, losses, money, every canonical field) must be clean.
 */

type Entity = 'customer' | 'invoice';
type Policy = 'app-wins' | 'quickbooks-wins';
type Canonical = Record<string, unknown>;

export type StackOp =
  | { kind: 'app-customer' | 'remote-customer'; name: string }
  | { kind: 'app-edit' | 'remote-edit'; pick: number; field: 'email' | 'phone' | 'companyName'; value: string | null }
  | { kind: 'app-active' | 'remote-active'; pick: number; active: boolean }
  | { kind: 'app-invoice' | 'remote-invoice'; pick: number; quantities: number[]; note: string | null }
  | { kind: 'app-invoice-edit' | 'remote-invoice-edit'; pick: number; what: 'note' | 'quantity'; note: string | null }
  | { kind: 'app-payment'; pick: number; cents: number }
  | { kind: 'sync'; kills: number };

export function randomStackOps(seed: number, length: number): StackOp[] {
  const r = prng(seed);
  const ops: StackOp[] = [];
  const side = () => (r() < 0.5 ? 'app' : 'remote');
  const pick = () => Math.floor(r() * 1000);
  const values = {
    email: [null, 'a', 'b'],
    phone: [null, '555-0100', '555-0199'],
    companyName: [null, 'Acme', 'Globex'],
  };
  let n = 0;
  for (let i = 0; i < length; i++) {
    const x = r();
    if (x < 0.1) ops.push({ kind: `${side()}-customer`, name: `M${seed}-C${n++}` });
    else if (x < 0.35) {
      const field = (['email', 'phone', 'companyName'] as const)[Math.floor(r() * 3)];
      ops.push({ kind: `${side()}-edit`, pick: pick(), field, value: values[field][Math.floor(r() * 3)] });
    } else if (x < 0.45) ops.push({ kind: `${side()}-active`, pick: pick(), active: r() < 0.5 });
    else if (x < 0.55) {
      const quantities = Array.from({ length: 1 + Math.floor(r() * 2) }, () => 1 + Math.floor(r() * 3));
      ops.push({ kind: `${side()}-invoice`, pick: pick(), quantities, note: r() < 0.5 ? `note ${n++}` : null });
    } else if (x < 0.72) {
      const what = r() < 0.5 ? 'note' : 'quantity';
      ops.push({ kind: `${side()}-invoice-edit`, pick: pick(), what, note: r() < 0.4 ? null : `edit ${n++}` });
    } else if (x < 0.8) ops.push({ kind: 'app-payment', pick: pick(), cents: 1000 * (1 + Math.floor(r() * 10)) });
    else ops.push({ kind: 'sync', kills: r() < 0.4 ? 1 + Math.floor(r() * 2) : 0 });
  }
  ops.push({ kind: 'sync', kills: 0 });
  return ops;
}

/** Fields QuickBooks computes (totals, balance) are compared by the full comparison, not by the model. */
function modelled(entity: Entity, c: Canonical): Canonical {
  if (entity === 'customer') return c;
  const { subtotalCents: _s, taxCents: _t, totalCents: _to, balanceCents: _b, ...rest } = c;
  return rest;
}

/** What a new record's creator wrote; what the other side adds (a number, a due date from terms) is not compared. */
function created(entity: Entity, c: Canonical): Canonical {
  if (entity === 'customer') return c;
  const lines = (c.lines as Array<Record<string, unknown>>).map((l) => ({
    itemId: l.itemId,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    amountCents: l.amountCents,
  }));
  return { customerId: c.customerId, lines, privateNote: c.privateNote };
}

const eq = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);

interface Pair {
  appId: number;
  remoteId: string;
  agreed: Canonical;
}

interface Sides {
  app: Record<Entity, Map<number, Canonical>>;
  remote: Record<Entity, Map<string, Canonical>>;
  raw: Record<Entity, Map<string, QboObject>>;
  links: Record<Entity, { byApp: Map<number, string>; byRemote: Map<string, number> }>;
}

const QBO_NAMES: Record<Entity, string> = { customer: 'Customer', invoice: 'Invoice' };
const ENTITIES: Entity[] = ['customer', 'invoice'];
const PRICE_CENTS = 10000;

export interface StackStats {
  /** Records compared by the reliability comparison after every run, summed. */
  recordsCompared: number;
  syncs: number;
  kills: number;
  edits: number;
  conflicts: number;
}

/** One worker process shared by the sequences (each a tenant of its own), restarted after every kill. */
export class WorkerHolder {
  worker?: WorkerProcess;
  constructor(private readonly stack: Stack) {}
  async start(): Promise<void> {
    this.worker = await startWorkerProcess(this.stack);
  }
  async kill(): Promise<void> {
    await this.worker?.kill('SIGKILL');
    await this.start();
  }
  async close(): Promise<void> {
    await this.worker?.kill('SIGKILL');
  }
}

export class StackModelRun {
  private tenantId!: string;
  private realmId!: string;
  private pairs: Record<Entity, Pair[]> = { customer: [], invoice: [] };
  /** The two customers invoices are written for: never deactivated (QuickBooks refuses invoices for inactive ones). */
  private billTo: { app: number[]; remote: string[] } = { app: [], remote: [] };
  private itemRemoteId!: string;
  private itemAppId!: number;
  private payments = 0;
  readonly stats: StackStats = { recordsCompared: 0, syncs: 0, kills: 0, edits: 0, conflicts: 0 };

  constructor(
    private readonly stack: Stack,
    private readonly workers: WorkerHolder,
    readonly policy: Policy,
  ) {}

  private get db() {
    return this.stack.database.db;
  }

  async open(): Promise<void> {
    ({ tenantId: this.tenantId, realmId: this.realmId } = await this.stack.addTenant({
      seed: 'empty',
      settings: { conflictPolicy: this.policy },
    }));
    this.itemAppId = (
      await this.db
        .insertInto('items')
        .values({ tenant_id: this.tenantId, type: 'Service', name: 'Hour', unit_price: '100', income_account: '1' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await this.apply({ kind: 'app-customer', name: 'Bill App' });
    await this.apply({ kind: 'remote-customer', name: 'Bill QuickBooks' });
    await this.apply({ kind: 'sync', kills: 0 });
    const links = await this.linkRows();
    this.itemRemoteId = links.find((l) => l.entity === 'item' && Number(l.app_id) === this.itemAppId)!.remote_id;
    this.billTo = {
      app: this.pairs.customer.map((p) => p.appId),
      remote: this.pairs.customer.map((p) => p.remoteId),
    };
  }

  private linkRows() {
    return this.db
      .selectFrom('sync_links')
      .select(['entity', 'app_id', 'remote_id'])
      .where('tenant_id', '=', this.tenantId)
      .execute();
  }

  /** Both sides through the canonical mappings, as the sync itself reads them. */
  private async sides(): Promise<Sides> {
    const linkRows = await this.linkRows();
    const refs = refsThroughLinks(linkRows);
    const remoteEntities = qboEntitiesFor('billing');
    const sides = { app: {}, remote: {}, raw: {}, links: {} } as Sides;
    for (const entity of ENTITIES) {
      const table = entity === 'customer' ? 'customers' : 'invoices';
      const ids = (await this.db.selectFrom(table).select('id').where('tenant_id', '=', this.tenantId).execute()).map(
        (r) => Number(r.id),
      );
      const rows = await MAPPINGS[entity]!.loadApp(this.db, this.tenantId, ids);
      sides.app[entity] = new Map([...rows].map(([id, row]) => [id, row.canonical as Canonical]));
      const raw = await this.stack.admin.entities<QboObject>(this.realmId, QBO_NAMES[entity]);
      sides.raw[entity] = new Map(raw.map((r) => [r.Id as string, r]));
      sides.remote[entity] = new Map();
      for (const r of raw) {
        const c = remoteEntities[entity]!.fromQbo(r, refs);
        if (!(c instanceof MappingProblem)) sides.remote[entity].set(r.Id as string, c as Canonical);
      }
      const links = linkRows.filter((l) => l.entity === entity);
      sides.links[entity] = {
        byApp: new Map(links.map((l) => [Number(l.app_id), l.remote_id])),
        byRemote: new Map(links.map((l) => [l.remote_id, Number(l.app_id)])),
      };
    }
    return sides;
  }

  private async qbo(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const answer = await this.stack.qboFetch(this.realmId, method, path, body);
    if ('Fault' in answer) throw new Error(`QuickBooks refused ${method} ${path}: ${JSON.stringify(answer.Fault)}`);
    return answer;
  }

  /** A full update, as a QuickBooks user's edit is: fields left out are cleared. */
  private async qboUpdate(entity: Entity, raw: QboObject, change: (o: Record<string, unknown>) => void) {
    const body = structuredClone(raw) as Record<string, unknown>;
    delete body.MetaData;
    change(body);
    await this.qbo('POST', entity, body);
  }

  async apply(op: StackOp): Promise<void> {
    const s = op.kind === 'sync' ? undefined : await this.sides();
    const appIds = (entity: Entity) => [...s!.app[entity].keys()].sort((a, b) => a - b);
    const remoteIds = (entity: Entity) => [...s!.raw[entity].keys()].sort((a, b) => Number(a) - Number(b));
    const of = <T>(list: T[], pick: number) => (list.length ? list[pick % list.length] : undefined);
    switch (op.kind) {
      case 'app-customer':
        await this.db.insertInto('customers').values({ tenant_id: this.tenantId, display_name: op.name }).execute();
        return;
      case 'remote-customer':
        await this.qbo('POST', 'customer', { DisplayName: op.name });
        return;
      case 'app-edit':
      case 'app-active': {
        const candidates = appIds('customer').filter((id) => 'field' in op || !this.billTo.app.includes(id));
        const id = of(candidates, op.pick);
        if (id === undefined) return;
        this.stats.edits++;
        const name = String(s!.app.customer.get(id)!.displayName).toLowerCase().replace(/\W+/g, '.');
        const columns = { email: 'email', phone: 'phone', companyName: 'company_name' } as const;
        const set =
          'field' in op
            ? { [columns[op.field]]: op.field === 'email' && op.value ? `${name}.${op.value}@example.com` : op.value }
            : { active: op.active, status: op.active ? ('active' as const) : ('inactive' as const) };
        await this.db.updateTable('customers').set(set).where('id', '=', id).execute();
        return;
      }
      case 'remote-edit':
      case 'remote-active': {
        const candidates = remoteIds('customer').filter((id) => 'field' in op || !this.billTo.remote.includes(id));
        const id = of(candidates, op.pick);
        if (id === undefined) return;
        this.stats.edits++;
        const raw = s!.raw.customer.get(id)!;
        if (!('field' in op)) {
          await this.qbo('POST', 'customer', { Id: id, SyncToken: raw.SyncToken, sparse: true, Active: op.active });
          return;
        }
        const name = String(raw.DisplayName)
          .replace(/ \(deleted\)$/, '')
          .toLowerCase()
          .replace(/\W+/g, '.');
        await this.qboUpdate('customer', raw, (body) => {
          const key = { email: 'PrimaryEmailAddr', phone: 'PrimaryPhone', companyName: 'CompanyName' }[op.field];
          if (op.value === null) delete body[key];
          else if (op.field === 'email') body[key] = { Address: `${name}.${op.value}@example.com` };
          else if (op.field === 'phone') body[key] = { FreeFormNumber: op.value };
          else body[key] = op.value;
        });
        return;
      }
      case 'app-invoice': {
        const customerId = of(this.billTo.app, op.pick)!;
        const total = op.quantities.reduce((sum, q) => sum + q * PRICE_CENTS, 0);
        await this.db.transaction().execute(async (trx) => {
          const id = (
            await trx
              .insertInto('invoices')
              .values({
                tenant_id: this.tenantId,
                customer_id: customerId,
                txn_date: '2026-11-01',
                private_note: op.note,
                subtotal_cents: total,
                total_cents: total,
                balance_cents: total,
              })
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id;
          await trx
            .insertInto('invoice_lines')
            .values(
              op.quantities.map((q, i) => ({
                invoice_id: id,
                line_num: i + 1,
                item_id: this.itemAppId,
                quantity: String(q),
                unit_price: '100',
                amount_cents: q * PRICE_CENTS,
              })),
            )
            .execute();
        });
        return;
      }
      case 'remote-invoice':
        await this.qbo('POST', 'invoice', {
          CustomerRef: { value: of(this.billTo.remote, op.pick) },
          TxnDate: '2026-11-02',
          ...(op.note === null ? {} : { PrivateNote: op.note }),
          Line: op.quantities.map((q) => ({
            DetailType: 'SalesItemLineDetail',
            Amount: (q * PRICE_CENTS) / 100,
            SalesItemLineDetail: { ItemRef: { value: this.itemRemoteId }, Qty: q, UnitPrice: PRICE_CENTS / 100 },
          })),
        });
        return;
      case 'app-invoice-edit': {
        const id = of(appIds('invoice'), op.pick);
        if (id === undefined) return;
        this.stats.edits++;
        if (op.what === 'note') {
          await this.db.updateTable('invoices').set({ private_note: op.note }).where('id', '=', id).execute();
          return;
        }
        // One more of line 1, the totals and balance with it — as the app's own invoice screen would save it.
        await this.db.transaction().execute(async (trx) => {
          const line = await trx
            .selectFrom('invoice_lines')
            .select(['id', 'quantity'])
            .where('invoice_id', '=', id)
            .orderBy('line_num')
            .executeTakeFirstOrThrow();
          const quantity = Number(line.quantity) + 1;
          await trx
            .updateTable('invoice_lines')
            .set({ quantity: String(quantity), amount_cents: quantity * PRICE_CENTS })
            .where('id', '=', line.id)
            .execute();
          await trx
            .updateTable('invoices')
            .set((eb) => ({
              subtotal_cents: eb('subtotal_cents', '+', PRICE_CENTS),
              total_cents: eb('total_cents', '+', PRICE_CENTS),
              balance_cents: eb('balance_cents', '+', PRICE_CENTS),
            }))
            .where('id', '=', id)
            .execute();
        });
        return;
      }
      case 'remote-invoice-edit': {
        const id = of(remoteIds('invoice'), op.pick);
        if (id === undefined) return;
        this.stats.edits++;
        await this.qboUpdate('invoice', s!.raw.invoice.get(id)!, (body) => {
          if (op.what === 'note') {
            if (op.note === null) delete body.PrivateNote;
            else body.PrivateNote = op.note;
            return;
          }
          const lines = body.Line as Array<{
            Amount: number;
            SalesItemLineDetail?: { Qty: number; UnitPrice: number };
          }>;
          const first = lines.find((l) => l.SalesItemLineDetail)!;
          first.SalesItemLineDetail!.Qty += 1;
          first.Amount = (first.SalesItemLineDetail!.Qty * PRICE_CENTS) / 100;
          // QuickBooks recomputes the subtotal line and totals from the sales lines.
          body.Line = lines.filter((l) => l.SalesItemLineDetail);
        });
        return;
      }
      case 'app-payment': {
        const open = await this.db
          .selectFrom('invoices')
          .select(['id', 'customer_id', 'balance_cents'])
          .where('tenant_id', '=', this.tenantId)
          .where('balance_cents', '>', 0)
          .where('status', '=', 'open')
          .orderBy('id')
          .execute();
        const invoice = of(open, op.pick);
        if (!invoice) return;
        const cents = Math.min(op.cents, Number(invoice.balance_cents));
        await this.db.transaction().execute(async (trx) => {
          const p = await trx
            .insertInto('payments')
            .values({
              tenant_id: this.tenantId,
              customer_id: invoice.customer_id,
              txn_date: '2026-11-03',
              amount_cents: cents,
              // Two payments alike in customer, day and amount are legal, but the comparison's natural key (and a
              // person reading QuickBooks) tells them apart by reference.
              reference: `P${++this.payments}`,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('payment_applications')
            .values({ payment_id: p.id, invoice_id: invoice.id, amount_cents: cents })
            .execute();
        });
        return;
      }
      case 'sync':
        return this.sync(op.kills);
    }
  }

  /** A run started as the schedule would; `kills` times the worker is SIGKILLed after 1–8 more QuickBooks requests. */
  private async sync(kills: number): Promise<void> {
    this.stats.syncs++;
    const before = await this.sides();
    const expected: Record<Entity, Array<{ appId?: number; remoteId?: string; fields: Canonical; made?: boolean }>> = {
      customer: [],
      invoice: [],
    };
    for (const entity of ENTITIES) {
      for (const p of this.pairs[entity]) {
        const a = modelled(entity, before.app[entity].get(p.appId)!);
        const r = modelled(entity, before.remote[entity].get(p.remoteId)!);
        const { fields, conflict } = expectedOf(p.agreed, a, r, this.policy);
        if (conflict) this.stats.conflicts++;
        expected[entity].push({ appId: p.appId, remoteId: p.remoteId, fields });
      }
      const paired = { app: new Set(this.pairs[entity].map((p) => p.appId)), remote: new Set<string>() };
      for (const p of this.pairs[entity]) paired.remote.add(p.remoteId);
      for (const [appId, c] of before.app[entity])
        if (!paired.app.has(appId)) expected[entity].push({ appId, fields: created(entity, c), made: true });
      for (const remoteId of before.raw[entity].keys()) {
        if (paired.remote.has(remoteId)) continue;
        const c = before.remote[entity].get(remoteId);
        if (!c) throw new Error(`QuickBooks ${entity} ${remoteId} cannot be read through the mapping before the run`);
        expected[entity].push({ remoteId, fields: created(entity, c), made: true });
      }
    }

    const handle = await startRun(this.stack, this.tenantId, 'model');
    const random = prng(this.stats.syncs * 7919 + kills);
    for (let k = 0; k < kills; k++) {
      const from = (await this.stack.admin.requests({ realmId: this.realmId })).at(-1)?.seq ?? 0;
      const more = 1 + Math.floor(random() * 8);
      const { done } = await until(
        `${more} more QuickBooks requests before a kill`,
        async () => ({
          seen: (await this.stack.admin.requests({ realmId: this.realmId, sinceSeq: from })).length,
          done: (await handle.describe()).status.name !== 'RUNNING',
        }),
        (v) => v.seen >= more || v.done,
        { ms: 180_000, context: () => this.workers.worker?.output().slice(-2000) ?? '' },
      );
      if (done) break;
      await this.workers.kill();
      this.stats.kills++;
    }
    const result = await resultOrStuck(handle, 6, 600_000);
    if (result.status !== 'succeeded') throw new Error(`the run ended ${result.status}: ${JSON.stringify(result)}`);

    const after = await this.sides();
    const problems: string[] = [];
    const appOnly: number[] = [];
    const pairs: Record<Entity, Pair[]> = { customer: [], invoice: [] };
    for (const entity of ENTITIES) {
      for (const e of expected[entity]) {
        const appId = e.appId ?? after.links[entity].byRemote.get(e.remoteId!);
        const remoteId = e.remoteId ?? after.links[entity].byApp.get(e.appId!);
        // An inactive app customer nobody linked stays in the app only.
        if (entity === 'customer' && e.made && e.appId !== undefined && e.fields.active === false) {
          if (remoteId !== undefined) problems.push(`inactive app customer ${appId} was created in QuickBooks`);
          appOnly.push(e.appId);
          continue;
        }
        if (appId === undefined || remoteId === undefined) {
          problems.push(
            `${entity} ${stableJson(e.fields)} is not on both sides (app ${appId}, QuickBooks ${remoteId})`,
          );
          continue;
        }
        const a = after.app[entity].get(appId);
        const r = after.remote[entity].get(remoteId);
        if (!a || !r) {
          problems.push(`${entity} app ${appId} / QuickBooks ${remoteId} is missing after the run`);
          continue;
        }
        const view = e.made ? (c: Canonical) => created(entity, c) : (c: Canonical) => modelled(entity, c);
        if (!eq(view(a), e.fields))
          problems.push(`app ${entity} ${appId}: ${stableJson(view(a))} ≠ model ${stableJson(e.fields)}`);
        if (!eq(view(r), e.fields))
          problems.push(`QuickBooks ${entity} ${remoteId}: ${stableJson(view(r))} ≠ model ${stableJson(e.fields)}`);
        pairs[entity].push({ appId, remoteId, agreed: modelled(entity, r) });
      }
    }
    const comparison = await compareTenant(this.db, this.stack.admin, this.tenantId, this.realmId, {
      appOnly: { customer: appOnly },
    });
    this.stats.recordsCompared += comparison.recordsCompared;
    if (comparison.duplicates.length || comparison.losses.length || comparison.mismatches.length)
      problems.push(summary(comparison));
    if (problems.length) throw new Error(problems.join('\n'));
    this.pairs = pairs;
  }
}

export interface StackModelTotals extends StackStats {
  sequences: number;
  failures: number;
}

/** Runs `sequences` seeds on one stack and one worker process; a failing seed reports its sequence. */
export async function runStackModel(stack: Stack, sequences: number, length: number, firstSeed = 1) {
  const workers = new WorkerHolder(stack);
  await workers.start();
  const totals: StackModelTotals = {
    sequences: 0,
    recordsCompared: 0,
    syncs: 0,
    kills: 0,
    edits: 0,
    conflicts: 0,
    failures: 0,
  };
  const failures: string[] = [];
  try {
    for (let seed = firstSeed; seed < firstSeed + sequences; seed++) {
      const policy: Policy = seed % 2 === 0 ? 'app-wins' : 'quickbooks-wins';
      const ops = randomStackOps(seed, length);
      const run = new StackModelRun(stack, workers, policy);
      totals.sequences++;
      let done = 0;
      try {
        await run.open();
        for (const op of ops) {
          await run.apply(op);
          done++;
        }
      } catch (error) {
        totals.failures++;
        const message = `seed ${seed} (${policy}) failed at op ${done + 1} ${JSON.stringify(ops[done])}: ${(error as Error).message}\nsequence: ${JSON.stringify(ops.slice(0, done + 1))}`;
        console.error(`stack model: ${message}`);
        failures.push(message);
      }
      for (const k of ['recordsCompared', 'syncs', 'kills', 'edits', 'conflicts'] as const) totals[k] += run.stats[k];
    }
  } finally {
    await workers.close();
  }
  return { totals, failures };
}
