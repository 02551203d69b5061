import { randomUUID } from 'node:crypto';
import { MemoryBackend, MemoryCompanies, type MemoryCompany } from '../../activities/backends/memory/backend';
import { AppSide } from '../../activities/sync/appSide';
import { pullPage, pushPage, type EngineContext } from '../../activities/sync/engine';
import { MAPPINGS } from '../../activities/sync/entities';
import type { CustomerRecord } from '../../activities/sync/entities/customer';
import { LinkStore } from '../../activities/sync/links';
import type { ConflictPolicy } from '../../activities/sync/model';
import { beginRun } from '../../activities/sync/runs';
import { stableJson } from '../../activities/sync/fingerprint';
import type { Db } from '../../schema/db';
import { systemClock } from '../../workers/clock';

/**
 * A model-based test of two-way convergence. A sequence of operations on both sides — creates, edits, clears,
 * deactivations, reactivations, two-sided conflicts — with syncs in between, some of them crashing after the backend
 * applied a write (the answer lost, the page retried as Temporal would). After every sync both sides must equal what
 * a reference model says, field by field: a record changed on one side since the last agreement takes that side's
 * version; changed on both, the policy's winner; created on one side, it appears on the other (an inactive app record
 * excepted); nothing is duplicated.
 */

/** The fields the model follows; the rest of the canonical customer stays null on both sides. */
export interface Fields {
  displayName: string;
  email: string | null;
  phone: string | null;
  companyName: string | null;
  active: boolean;
}

export type Op =
  | { kind: 'app-create'; name: string }
  | { kind: 'remote-create'; name: string }
  | { kind: 'app-edit' | 'remote-edit'; pick: number; field: 'email' | 'phone' | 'companyName'; value: string | null }
  | { kind: 'app-active' | 'remote-active'; pick: number; active: boolean }
  | { kind: 'sync'; crash: boolean };

/** A small deterministic PRNG (mulberry32), so a failing seed replays exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomOps(seed: number, length: number): Op[] {
  const r = prng(seed);
  const ops: Op[] = [];
  let n = 0;
  const values = {
    // Emails are made unique per record when applied (`<name>.a@…`): a shared email would make two new records twins.
    email: [null, 'a', 'b'],
    phone: [null, '555-0100', '555-0199'],
    companyName: [null, 'Acme', 'Globex'],
  };
  for (let i = 0; i < length; i++) {
    const x = r();
    const pick = Math.floor(r() * 1000);
    if (x < 0.15) ops.push({ kind: r() < 0.5 ? 'app-create' : 'remote-create', name: `S${seed}-C${n++}` });
    else if (x < 0.55) {
      const field = (['email', 'phone', 'companyName'] as const)[Math.floor(r() * 3)];
      ops.push({
        kind: r() < 0.5 ? 'app-edit' : 'remote-edit',
        pick,
        field,
        value: values[field][Math.floor(r() * 3)],
      });
    } else if (x < 0.7) ops.push({ kind: r() < 0.5 ? 'app-active' : 'remote-active', pick, active: r() < 0.5 });
    else ops.push({ kind: 'sync', crash: r() < 0.3 });
  }
  ops.push({ kind: 'sync', crash: false });
  return ops;
}

/** An email value is per record, the others as drawn. */
const emailFor = (field: string, value: string | null, name: string) =>
  field === 'email' && value !== null ? `${name.toLowerCase()}.${value}@example.com` : value;

const fieldsOf = (c: CustomerRecord): Fields => ({
  displayName: c.displayName,
  email: c.email,
  phone: c.phone,
  companyName: c.companyName,
  active: c.active,
});

const record = (f: Fields): CustomerRecord => ({
  ...f,
  givenName: null,
  familyName: null,
  billingAddress: null,
  shippingAddress: null,
  parentId: null,
});

const same = (a: Fields, b: Fields) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The reference rule for a linked pair: changed on one side since the last agreement, that side's version; on both
 * (to different values), the policy's winner — a conflict.
 */
export function expectedOf<T>(
  agreed: T,
  app: T,
  remote: T,
  policy: 'app-wins' | 'quickbooks-wins',
): { fields: T; conflict: boolean } {
  const eq = (x: T, y: T) => stableJson(x) === stableJson(y);
  if (eq(app, agreed)) return { fields: remote, conflict: false };
  if (eq(remote, agreed) || eq(app, remote)) return { fields: app, conflict: false };
  return { fields: policy === 'app-wins' ? app : remote, conflict: true };
}

interface Pair {
  appId: number;
  remoteId: string;
  agreed: Fields;
}

/** One tenant under test: the app in PostgreSQL, the backend in memory. */
export class ModelRun {
  private ctx!: EngineContext;
  private company!: MemoryCompany;
  private pairs: Pair[] = [];
  readonly stats = { syncs: 0, crashes: 0, edits: 0, conflicts: 0 };

  constructor(
    private readonly db: Db,
    private readonly companies: MemoryCompanies,
    readonly policy: Exclude<ConflictPolicy, 'latest-wins'>,
  ) {}

  async open(): Promise<void> {
    const tenantId = `model-${randomUUID()}`;
    await this.db.insertInto('tenants').values({ id: tenantId, name: tenantId, backend: 'memory' }).execute();
    const runId = randomUUID();
    await beginRun(this.db, { runId, tenantId, workflowId: runId, trigger: 'model' }, new Date());
    const links = new LinkStore(tenantId, 'memory');
    this.company = this.companies.company(tenantId);
    this.ctx = {
      ...{ db: this.db, clock: systemClock, tenantId, runId, step: 'customers', links, policy: this.policy },
      ...{ onRecordError: 'stop', deferRuns: 3, onVanished: 'stop' },
      app: new AppSide(this.db, tenantId, MAPPINGS as Record<string, NonNullable<(typeof MAPPINGS)['customer']>>),
      remote: new MemoryBackend(this.company, links, this.db, MAPPINGS),
    };
  }

  private async appRows(): Promise<Map<number, Fields>> {
    const rows = await this.db
      .selectFrom('customers')
      .select(['id', 'display_name', 'email', 'phone', 'company_name', 'active'])
      .where('tenant_id', '=', this.ctx.tenantId)
      .execute();
    return new Map(
      rows.map((r) => [
        r.id,
        { displayName: r.display_name, email: r.email, phone: r.phone, companyName: r.company_name, active: r.active },
      ]),
    );
  }

  private remoteRows(): Map<string, Fields> {
    return new Map(this.company.all('customer').map((r) => [r.id, fieldsOf(r.canonical as CustomerRecord)]));
  }

  async apply(op: Op): Promise<void> {
    const app = [...(await this.appRows()).keys()].sort((a, b) => a - b);
    const remote = [...this.remoteRows().keys()].sort();
    switch (op.kind) {
      case 'app-create':
        await this.db.insertInto('customers').values({ tenant_id: this.ctx.tenantId, display_name: op.name }).execute();
        return;
      case 'remote-create':
        this.company.put(
          'customer',
          record({ displayName: op.name, email: null, phone: null, companyName: null, active: true }),
        );
        return;
      case 'app-edit':
      case 'app-active': {
        if (app.length === 0) return;
        const id = app[op.pick % app.length];
        this.stats.edits++;
        const columns = { email: 'email', phone: 'phone', companyName: 'company_name' } as const;
        const name = (await this.appRows()).get(id)!.displayName;
        const set =
          'field' in op
            ? { [columns[op.field]]: emailFor(op.field, op.value, name) }
            : { active: op.active, status: op.active ? ('active' as const) : ('inactive' as const) };
        await this.db.updateTable('customers').set(set).where('id', '=', id).execute();
        return;
      }
      case 'remote-edit':
      case 'remote-active': {
        if (remote.length === 0) return;
        const id = remote[op.pick % remote.length];
        this.stats.edits++;
        const current = this.company.get('customer', id)!.canonical as CustomerRecord;
        const change: Partial<Fields> =
          'field' in op ? { [op.field]: emailFor(op.field, op.value, current.displayName) } : { active: op.active };
        this.company.put('customer', { ...current, ...change }, id);
        return;
      }
      case 'sync':
        return this.sync(op.crash);
    }
  }

  /** A page that throws is retried, as Temporal retries the activity; a lost answer is that kind of throw. */
  private async retried<T>(page: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await page();
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
  }

  private async sync(crash: boolean): Promise<void> {
    this.stats.syncs++;
    // What the model expects, from the state before the sync.
    const app = await this.appRows();
    const remote = this.remoteRows();
    const expected: Array<{ appId?: number; remoteId?: string; fields: Fields }> = [];
    const pairedApp = new Set(this.pairs.map((p) => p.appId));
    const pairedRemote = new Set(this.pairs.map((p) => p.remoteId));
    for (const p of this.pairs) {
      const a = app.get(p.appId)!;
      const r = remote.get(p.remoteId)!;
      const { fields, conflict } = expectedOf(p.agreed, a, r, this.policy);
      if (conflict) this.stats.conflicts++;
      expected.push({ appId: p.appId, remoteId: p.remoteId, fields });
    }
    for (const [appId, fields] of app) if (!pairedApp.has(appId)) expected.push({ appId, fields });
    for (const [remoteId, fields] of remote) if (!pairedRemote.has(remoteId)) expected.push({ remoteId, fields });

    if (crash) {
      this.stats.crashes++;
      this.company.inject({ kind: 'lose-answer' });
    }
    for (let done = false; !done;) ({ done } = await this.retried(() => pullPage(this.ctx, MAPPINGS.customer!)));
    let cursor: unknown = null;
    for (let done = false; !done;)
      ({ nextCursor: cursor, done } = await this.retried(() => pushPage(this.ctx, MAPPINGS.customer!, cursor)));
    this.company.clearFaults();

    // What the sides hold now.
    const appAfter = await this.appRows();
    const remoteAfter = this.remoteRows();
    const links = await this.db
      .selectFrom('sync_links')
      .select(['app_id', 'remote_id'])
      .where('tenant_id', '=', this.ctx.tenantId)
      .execute();
    const byApp = new Map(links.map((l) => [Number(l.app_id), l.remote_id]));
    const byRemote = new Map(links.map((l) => [l.remote_id, Number(l.app_id)]));
    const problems: string[] = [];
    const expectedApp = app.size + [...remote.keys()].filter((id) => !pairedRemote.has(id)).length;
    if (appAfter.size !== expectedApp) problems.push(`the app has ${appAfter.size} customers, expected ${expectedApp}`);
    const pairs: Pair[] = [];
    for (const e of expected) {
      // An inactive app record nobody linked stays in the app only.
      const appOnly = e.appId !== undefined && e.remoteId === undefined && !e.fields.active;
      const appId = e.appId ?? byRemote.get(e.remoteId!);
      const remoteId = e.remoteId ?? byApp.get(e.appId!);
      if (appOnly) {
        if (remoteId !== undefined) problems.push(`inactive app customer ${appId} was created in the backend`);
        continue;
      }
      if (appId === undefined || remoteId === undefined) {
        problems.push(`${e.fields.displayName} is not on both sides (app ${appId}, backend ${remoteId})`);
        continue;
      }
      const a = appAfter.get(appId);
      const r = remoteAfter.get(remoteId);
      if (!a || !same(a, e.fields))
        problems.push(`app ${appId}: ${JSON.stringify(a)} ≠ expected ${JSON.stringify(e.fields)}`);
      if (!r || !same(r, e.fields))
        problems.push(`backend ${remoteId}: ${JSON.stringify(r)} ≠ expected ${JSON.stringify(e.fields)}`);
      pairs.push({ appId, remoteId, agreed: e.fields });
    }
    const expectedRemote = expected.filter(
      (e) => !(e.appId !== undefined && e.remoteId === undefined && !e.fields.active),
    ).length;
    if (remoteAfter.size !== expectedRemote)
      problems.push(`the backend has ${remoteAfter.size} customers, expected ${expectedRemote}`);
    if (problems.length) throw new Error(problems.join('\n'));
    this.pairs = pairs;
  }
}

/** Replays `ops` on a fresh tenant; resolves with the error it met, if any. */
export async function replay(db: Db, companies: MemoryCompanies, policy: ModelRun['policy'], ops: Op[]) {
  const run = new ModelRun(db, companies, policy);
  await run.open();
  for (const op of ops) {
    try {
      await run.apply(op);
    } catch (error) {
      return { run, error: error as Error };
    }
  }
  return { run, error: undefined };
}

/** The shortest sequence (by removing one op at a time) that still fails: what a failing seed prints. */
export async function shrink(db: Db, companies: MemoryCompanies, policy: ModelRun['policy'], ops: Op[]): Promise<Op[]> {
  let current = ops;
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < current.length; i++) {
      const candidate = [...current.slice(0, i), ...current.slice(i + 1)];
      if (candidate.at(-1)?.kind !== 'sync') candidate.push({ kind: 'sync', crash: false });
      if ((await replay(db, companies, policy, candidate)).error) {
        current = candidate;
        changed = true;
        break;
      }
    }
  }
  return current;
}

export interface ModelTotals {
  sequences: number;
  syncs: number;
  edits: number;
  crashes: number;
  conflicts: number;
  failures: number;
}

/** Runs `sequences` seeds from `firstSeed`; a failing seed is shrunk to its minimal sequence. */
export async function runModel(db: Db, sequences: number, length: number, firstSeed = 1) {
  const companies = new MemoryCompanies();
  const totals: ModelTotals = { sequences: 0, syncs: 0, edits: 0, crashes: 0, conflicts: 0, failures: 0 };
  const failures: string[] = [];
  for (let seed = firstSeed; seed < firstSeed + sequences; seed++) {
    const policy = seed % 2 === 0 ? 'app-wins' : 'quickbooks-wins';
    const ops = randomOps(seed, length);
    const { run, error } = await replay(db, companies, policy, ops);
    totals.sequences++;
    for (const k of ['syncs', 'edits', 'crashes', 'conflicts'] as const) totals[k] += run.stats[k];
    if (!error) continue;
    totals.failures++;
    console.error(`model: seed ${seed} (${policy}) failed: ${error.message}`);
    // The first failing seed is shrunk (each try replays it); later ones are listed as they are.
    const minimal = failures.length === 0 ? await shrink(db, companies, policy, ops) : undefined;
    failures.push(
      `seed ${seed} (${policy}): ${error.message}${minimal ? `\nminimal sequence: ${JSON.stringify(minimal)}` : ''}`,
    );
  }
  return { totals, failures };
}
