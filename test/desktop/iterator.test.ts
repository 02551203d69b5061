import { parseXml, type XmlElement } from '../../emulator/desktop';
import { createDesktopStack, type DesktopStack, type DesktopTenant } from './desktopStack';

/**
 * Reads that take many iterator pages (MaxReturned 3 against the salesin seed's 50-odd customers and items): every
 * record arrives exactly once, the cursor moves only when an iterator is exhausted, and a Web Connector session that
 * dies mid-iterator (its iterator gone with it) makes the read start again from the same point.
 */
const PAGE = 3;
let stack: DesktopStack;
beforeAll(async () => {
  stack = await createDesktopStack('desktop_iter', { pageSize: PAGE });
});
afterAll(async () => {
  await stack?.close();
});

interface Page {
  run: number;
  request: XmlElement;
  response: XmlElement;
}

const msgs = (doc: string, name: string) => parseXml(doc).root.children.find((c) => c.name === name)?.children ?? [];

/** The iterator pages of one query type, in the order QuickBooks answered them (request paired with response). */
function pages(t: DesktopTenant, query: string, sinceSeq = 0): Page[] {
  const out: Page[] = [];
  let request: XmlElement | undefined;
  for (const e of t.connector.log.list({ sinceSeq })) {
    if (e.qbxmlRequest) request = msgs(e.qbxmlRequest, 'QBXMLMsgsRq').find((r) => r.name === `${query}Rq`);
    else if (e.qbxmlResponse && request) {
      const response = msgs(e.qbxmlResponse, 'QBXMLMsgsRs').find((r) => r.name === `${query}Rs`);
      if (response && request.attrs.iterator) out.push({ run: e.run, request, response });
      request = undefined;
    }
  }
  return out;
}

const ids = (p: Page) => p.response.children.map((r) => r.children.find((c) => c.name === 'ListID')!.text);

/** The pages of each iterator (by iteratorID), for iterators read to their end. */
function exhaustedIterators(all: Page[]): Page[][] {
  const byId = new Map<string, Page[]>();
  for (const p of all) {
    const id = p.response.attrs.iteratorID;
    byId.set(id, [...(byId.get(id) ?? []), p]);
  }
  return [...byId.values()].filter((ps) => ps.at(-1)!.response.attrs.iteratorRemainingCount === '0');
}

async function count(tenantId: string, table: 'customers' | 'items'): Promise<number> {
  const row = await stack.database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

test('five pages and more of customers and items: every record arrives once', async () => {
  const t = await stack.addTenant({ seed: 'salesin' });
  await stack.sync(t.tenantId);
  const itemTypes =
    /^Item(Inventory|InventoryAssembly|Service|NonInventory|OtherCharge|Group|Discount|SalesTax|Subtotal|SalesTaxGroup|Payment|Fixed Asset)?Ret$/;
  for (const [query, expected] of [
    ['CustomerQuery', t.company.customers().map((c) => String(c.ListID))],
    ['ItemQuery', t.company.items().map((i) => String(i.ListID))],
  ] as const) {
    const all = pages(t, query);
    const [iterator, ...others] = exhaustedIterators(all);
    expect(others).toEqual([]);
    expect(iterator.length).toBe(Math.ceil(expected.length / PAGE));
    expect(iterator.length).toBeGreaterThanOrEqual(5);
    // Start, then Continue on the same iterator, each page MaxReturned records at most, remaining counting down.
    expect(iterator.map((p) => p.request.attrs.iterator)).toEqual([
      'Start',
      ...Array<string>(iterator.length - 1).fill('Continue'),
    ]);
    iterator.forEach((p, i) => {
      expect(p.response.children.length).toBeLessThanOrEqual(PAGE);
      expect(Number(p.response.attrs.iteratorRemainingCount)).toBe(Math.max(0, expected.length - (i + 1) * PAGE));
      if (query === 'ItemQuery') for (const r of p.response.children) expect(r.name).toMatch(itemTypes);
    });
    const seen = iterator.flatMap(ids);
    expect(seen.length).toBe(new Set(seen).size);
    expect([...seen].sort()).toEqual([...expected].sort());
    // No page was asked twice.
    expect(all.length).toBe(iterator.length);
  }
  expect(await count(t.tenantId, 'customers')).toBe(t.company.customers().length);
  const links = await stack.database.db
    .selectFrom('sync_links')
    .select(['entity', 'remote_id'])
    .where('tenant_id', '=', t.tenantId)
    .where('entity', 'in', ['customer', 'item'])
    .execute();
  expect(links.filter((l) => l.entity === 'customer')).toHaveLength(t.company.customers().length);
  expect(new Set(links.map((l) => `${l.entity}:${l.remote_id}`)).size).toBe(links.length);
});

test('the Web Connector session dies mid-iterator: the read starts again in the next session, nothing lost', async () => {
  const t = await stack.addTenant({ seed: 'salesin' });
  // The session dies before the customer iterator's second page (the first read and applied); the iterator dies with it.
  t.company.faults.add({
    kind: 'sessionDies',
    count: 1,
    requestMatch: '<CustomerQueryRq[^>]*iterator="Continue"',
    afterRequests: 0,
  });
  await stack.sync(t.tenantId);
  const all = pages(t, 'CustomerQuery');
  // The Continue sent into the new session found no iterator (3120); a new Start read everything again.
  const dead = all.filter((p) => p.response.attrs.statusCode === '3120');
  const customers = t.company.customers().map((c) => String(c.ListID));
  const [complete, ...others] = exhaustedIterators(all.filter((p) => p.response.attrs.statusCode !== '3120'));
  expect(others).toEqual([]);
  expect(complete[0].request.attrs.iterator).toBe('Start');
  // Its cursor had not moved: the new iterator reads from the same point (the first read: everything).
  expect(complete[0].request.children.some((c) => c.name === 'FromModifiedDate')).toBe(false);
  expect([...complete.flatMap(ids)].sort()).toEqual([...customers].sort());
  expect(new Set(complete.flatMap(ids)).size).toBe(customers.length);
  // The Continue that was handed to the dead session went to the next one, which had no such iterator.
  expect(dead).toHaveLength(1);
  expect(dead[0].request.attrs.iterator).toBe('Continue');
  expect(new Set(all.map((p) => p.run)).size).toBeGreaterThanOrEqual(2);
  expect(await count(t.tenantId, 'customers')).toBe(customers.length);
  expect(await count(t.tenantId, 'items')).toBeGreaterThan(0);
  // The cursor moved once the (new) iterator was exhausted: a second run reads only what changed since.
  const seq = t.connector.log.list({}).at(-1)?.seq ?? 0;
  await stack.sync(t.tenantId);
  const again = pages(t, 'CustomerQuery', seq);
  expect(again.length).toBeGreaterThan(0);
  expect(again[0].request.children.some((c) => c.name === 'FromModifiedDate')).toBe(true);
});
