import { randomUUID } from 'node:crypto';
import type { Backend } from '../../activities/sync/backend';
import { qboApiFromClient } from '../../activities/backends/quickbooks-online/api';
import { QuickBooksOnlineBackend } from '../../activities/backends/quickbooks-online/backend';
import { qboEntitiesFor } from '../../activities/backends/quickbooks-online/entities';
import { MemoryBackend, MemoryCompanies } from '../../activities/backends/memory/backend';
import { MAPPINGS } from '../../activities/sync/entities';
import type { CustomerRecord } from '../../activities/sync/entities/customer';
import { LinkStore } from '../../activities/sync/links';
import { systemClock } from '../../workers/clock';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startHarness, type Harness } from '../quickbooks/harness';
import { QuickBooksDesktopBackend } from '../../activities/backends/quickbooks-desktop/backend';
import { addDesktopConnection, setDesktopPassword } from '../../activities/backends/quickbooks-desktop/connection';
import { startEndpoint, type RunningEndpoint } from '../../activities/backends/quickbooks-desktop/endpoint';
import { Exchanges, ExchangeWaker } from '../../activities/backends/quickbooks-desktop/exchange';
import { addTenant } from '../../activities/connection/tenants';
import { createDesktopCompany, NO_LATENCY, WebConnector } from '../../emulator/desktop';
import { createLogger } from '../../workers/logger';

/**
 * One contract, every backend (as kysely's tests loop over dialects): what the sync core relies on when it reads,
 * matches and writes through the Backend interface. A new backend joins BACKENDS and must pass all of it.
 */
interface Subject {
  backend: Backend;
  /** A change made in the backend's own program (not through qbsync). */
  renameDirectly(id: string, displayName: string): Promise<void>;
  count(): Promise<number>;
}

let database: TestDatabase;
let harness: Harness;
const companies = new MemoryCompanies();
let endpoint: RunningEndpoint;
let waker: ExchangeWaker;
const connectors: WebConnector[] = [];

const BACKENDS: Array<{ name: string; open(tenantId: string): Promise<Subject> }> = [
  {
    name: 'memory',
    async open(tenantId) {
      const company = companies.company(tenantId);
      const links = new LinkStore(tenantId, 'memory');
      return {
        backend: new MemoryBackend(company, links, database.db, MAPPINGS),
        async renameDirectly(id, displayName) {
          const current = company.get('customer', id)!;
          company.put('customer', { ...(current.canonical as CustomerRecord), displayName }, id);
        },
        count: async () => company.all('customer').length,
      };
    },
  },
  {
    name: 'quickbooks-online',
    async open() {
      const realm = await harness.realm({ seed: 'empty' });
      const links = new LinkStore(realm.tenantId, 'quickbooks-online');
      const api = qboApiFromClient(realm.client);
      const entities = qboEntitiesFor('billing');
      const backend = new QuickBooksOnlineBackend(api, database.db, links, entities, MAPPINGS, systemClock, () =>
        Promise.resolve(false),
      );
      return {
        backend,
        async renameDirectly(id, displayName) {
          const current = await realm.client.read('Customer', id);
          await realm.client.update(
            'Customer',
            { Id: id, SyncToken: String(current.SyncToken), sparse: true, DisplayName: displayName },
            { requestId: randomUUID() },
          );
        },
        count: async () => (await harness.admin.entities(realm.realmId, 'Customer')).length,
      };
    },
  },
  {
    // Every read and write goes through the exchange table, the Web Connector endpoint and the QBWC simulator.
    name: 'quickbooks-desktop',
    async open(tenantId) {
      await addTenant(database.db, { id: tenantId, mode: 'order-taking', backend: 'quickbooks-desktop' });
      await addDesktopConnection(database.db, tenantId, 'quickbooks');
      await setDesktopPassword(database.db, tenantId, 'conformance password');
      const company = createDesktopCompany({ seed: 'empty' });
      const connector = new WebConnector({
        url: endpoint.url,
        user: tenantId,
        password: 'conformance password',
        company,
        latency: NO_LATENCY,
        timeScale: 600,
        everyMinutes: 1,
        maxNoOps: 1_000_000,
      });
      connectors.push(connector);
      connector.start();
      const links = new LinkStore(tenantId, 'quickbooks-desktop');
      const backend = new QuickBooksDesktopBackend(new Exchanges(database.db, waker), database.db, links, MAPPINGS, {
        tenantId,
        runId: `run-${tenantId}`,
        company: 'Conformance',
        flavour: 'quickbooks',
        attemptMs: 60_000,
        giveUpAfterMs: 120_000,
      });
      return {
        backend,
        async renameDirectly(id, displayName) {
          company.touchRecord(id, { Name: displayName });
        },
        count: async () => company.customers().length,
      };
    },
  },
];

beforeAll(async () => {
  database = await createTestDatabase('conformance');
  harness = await startHarness();
  waker = new ExchangeWaker(database.url);
  endpoint = await startEndpoint({ db: database.db, logger: createLogger('silent'), waker, longPollMs: 2_000 });
});
afterAll(async () => {
  for (const c of connectors) await c.stop();
  await endpoint?.close();
  await database?.drop();
  await harness?.close();
});

const customer = (displayName: string, email: string | null = null): CustomerRecord => ({
  displayName,
  companyName: null,
  givenName: null,
  familyName: null,
  email,
  phone: null,
  billingAddress: null,
  shippingAddress: null,
  parentId: null,
  active: true,
});

describe.each(BACKENDS)('backend $name', ({ name, open }) => {
  let subject: Subject;
  beforeEach(async () => {
    subject = await open(`conformance-${name}-${randomUUID().slice(0, 8)}`);
  });

  test('declares its capabilities as data', () => {
    const { capabilities } = subject.backend;
    expect(capabilities.batchSize).toBeGreaterThan(0);
    expect(capabilities.removal.customer).toBe('deactivate');
    expect(['app', 'backend', 'company-preference']).toContain(capabilities.numbering);
    expect(['call', 'polled']).toContain(capabilities.transport);
  });

  test('a created record reads back equal, with a version', async () => {
    const [result] = await subject.backend.send('customer', [
      {
        kind: 'create',
        sourceId: '1',
        canonical: customer('Ada Lovelace', 'ada@example.com'),
        requestKey: 'k-create-1',
      },
    ]);
    expect(result).toMatchObject({ ok: true });
    const id = (result as { targetId: string }).targetId;
    const loaded = (await subject.backend.load('customer', [id])).get(id)!;
    expect(loaded.canonical).toEqual(customer('Ada Lovelace', 'ada@example.com'));
    expect(loaded.version).toBeDefined();
  });

  test('the same write sent again (a resent plan) makes no second record', async () => {
    const write = {
      kind: 'create' as const,
      sourceId: '2',
      canonical: customer('Grace Hopper'),
      requestKey: 'k-resend',
    };
    const [first] = await subject.backend.send('customer', [write]);
    const countAfterFirst = await subject.count();
    const [again] = await subject.backend.send('customer', [write]);
    expect(await subject.count()).toBe(countAfterFirst);
    expect((again as { targetId: string }).targetId).toBe((first as { targetId: string }).targetId);
  });

  test('an update against a version that changed meanwhile is reported stale, not applied', async () => {
    const [created] = await subject.backend.send('customer', [
      { kind: 'create', sourceId: '3', canonical: customer('Edsger Dijkstra'), requestKey: 'k-stale-c' },
    ]);
    const { targetId, version } = created as { targetId: string; version: string };
    await subject.renameDirectly(targetId, 'E. W. Dijkstra');
    const [stale] = await subject.backend.send('customer', [
      {
        kind: 'update',
        sourceId: '3',
        targetId,
        baseVersion: version,
        canonical: customer('Edsger W. Dijkstra'),
        requestKey: 'k-stale-u',
      },
    ]);
    expect(stale).toMatchObject({ ok: false, stale: true });
    expect((await subject.backend.load('customer', [targetId])).get(targetId)!.canonical).toMatchObject({
      displayName: 'E. W. Dijkstra',
    });
  });

  test('changes are read from a cursor: first everything, then only what changed', async () => {
    const [a] = await subject.backend.send('customer', [
      { kind: 'create', sourceId: '4', canonical: customer('Alan Turing'), requestKey: 'k-read-a' },
    ]);
    let cursor: unknown = null;
    const all = new Set<string>();
    for (let done = false; !done;) {
      const page = await subject.backend.readChanges('customer', cursor, 2);
      page.records.forEach((r) => all.add(r.id));
      ({ nextCursor: cursor, done } = page);
    }
    const id = (a as { targetId: string }).targetId;
    expect(all.has(id)).toBe(true);
    await subject.renameDirectly(id, 'A. M. Turing');
    const changed = await subject.backend.readChanges('customer', cursor, 100);
    expect(changed.records.find((r) => r.id === id)?.canonical).toMatchObject({ displayName: 'A. M. Turing' });
  });

  test('a record read at the version the core agreed on comes back settled, unmapped; changed since, it is mapped', async () => {
    const [a] = await subject.backend.send('customer', [
      { kind: 'create', sourceId: '14', canonical: customer('Grace Hopper'), requestKey: 'k-settled' },
    ]);
    const { targetId: id, version } = a as { targetId: string; version: string };
    expect(version).toBeTruthy();
    const asked: string[] = [];
    const agreed = async (ids: string[]) => {
      asked.push(...ids);
      return new Map(ids.filter((x) => x === id).map((x) => [x, version]));
    };
    let cursor: unknown = null;
    const readAll = async () => {
      const records = [];
      for (let done = false; !done;) {
        const page = await subject.backend.readChanges('customer', cursor, 100, agreed);
        records.push(...page.records);
        ({ nextCursor: cursor, done } = page);
      }
      return records;
    };
    const settled = (await readAll()).find((r) => r.id === id);
    expect(asked).toContain(id);
    expect(settled).toMatchObject({ id, version, settled: true });
    expect(settled?.canonical).toBeUndefined();
    await subject.renameDirectly(id, 'Rear Admiral Grace Hopper');
    const changed = (await readAll()).find((r) => r.id === id);
    expect(changed?.settled).toBeUndefined();
    expect(changed?.canonical).toMatchObject({ displayName: 'Rear Admiral Grace Hopper' });
  });

  test('an unlinked twin is found for a record the app also has; a missing one is not invented', async () => {
    await subject.backend.send('customer', [
      { kind: 'create', sourceId: '5', canonical: customer('Barbara Liskov'), requestKey: 'k-twin' },
    ]);
    const [twin, none] = await subject.backend.findTwins('customer', [customer('Barbara Liskov'), customer('Nobody')]);
    expect(twin?.canonical).toMatchObject({ displayName: 'Barbara Liskov' });
    expect(none).toBeUndefined();
  });

  test('an app removal deactivates a customer; it reads back removed', async () => {
    const [created] = await subject.backend.send('customer', [
      { kind: 'create', sourceId: '6', canonical: customer('Ken Thompson'), requestKey: 'k-rm-c' },
    ]);
    const { targetId, version } = created as { targetId: string; version: string };
    const [removed] = await subject.backend.send('customer', [
      { kind: 'remove', sourceId: '6', targetId, baseVersion: version, how: 'inactive', requestKey: 'k-rm' },
    ]);
    expect(removed).toMatchObject({ ok: true });
    expect((await subject.backend.load('customer', [targetId])).get(targetId)!.deleted).toBe('inactive');
  });
});
