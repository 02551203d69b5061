import { loadAccountBook } from '../../activities/backends/quickbooks-online/accounts';
import { qboApiFromClient, type QboApi, type QboBatchItem } from '../../activities/backends/quickbooks-online/api';
import { removalItem } from '../../activities/backends/quickbooks-online/backend';
import type { QboEntity, RefMap } from '../../activities/backends/quickbooks-online/entity';
import { qboEntitiesFor } from '../../activities/backends/quickbooks-online/entities';
import { documentOf, saleToQbo } from '../../activities/backends/quickbooks-online/entities/sale';
import { select } from '../../activities/quickbooks/query';
import type { CustomerRecord } from '../../activities/sync/entities/customer';
import type { InvoiceRecord } from '../../activities/sync/entities/invoice';
import type { StockItemRecord } from '../../activities/sync/entities/orderTakingItem';
import type { PaymentRecord } from '../../activities/sync/entities/payment';
import type { SaleToSend } from '../../activities/sync/entities/sale';
import { MappingProblem } from '../../activities/sync/entity';
import type { EntityName, SyncMode } from '../../activities/sync/model';
import { itemAccountSettings } from '../../activities/sync/settings';
import { startHarness, type Harness } from './harness';

/**
 * Every body qbsync can send to QuickBooks Online — each entity × create / update / remove, in both modes, built by
 * the backend's own mapping functions — sent to the emulator, which refuses any property QuickBooks does not know
 * (2010) as QuickBooks does. A misspelt field anywhere in qbsync fails here.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const address = {
  line1: '1 Main St',
  line2: null,
  line3: null,
  city: 'Austin',
  region: 'TX',
  postalCode: '73301',
  country: 'US',
};

function customer(name: string, parentId: number | null): CustomerRecord {
  const [givenName, familyName] = name.split(' ');
  return {
    ...{ displayName: name, companyName: `${name} Ltd`, givenName, familyName: familyName ?? null },
    ...{ email: `${givenName.toLowerCase()}@example.com`, phone: '(512) 555-0100' },
    ...{ billingAddress: address, shippingAddress: { ...address, line1: '2 Dock Rd' }, parentId, active: true },
  };
}

function item(type: StockItemRecord['type'], name: string, extra: Partial<StockItemRecord> = {}): StockItemRecord {
  return {
    ...{ type, name, sku: type === 'Category' ? null : `SKU-${name}`, description: `${name} description` },
    ...{ unitPrice: type === 'Category' ? null : '12.50', incomeAccount: null, taxable: true, parentId: null },
    ...{ quantityOnHand: type === 'Inventory' ? '5' : null, active: true, taxCodeId: null, ...extra },
  };
}

interface Sent {
  what: string;
  status: 'ok' | string;
}

/** Sends one body through the sync's own batch path; returns the object or the fault. */
async function send(api: QboApi, item: QboBatchItem, n: { i: number }) {
  const [answer] = await api.batch([item], `bodies-${process.pid}-${n.i++}`);
  return answer;
}

async function everyBody(mode: SyncMode): Promise<Sent[]> {
  const realm = await h.realm({ seed: 'demo' });
  const api = qboApiFromClient(realm.client);
  const entities = qboEntitiesFor(mode);
  const n = { i: 0 };
  const sent: Sent[] = [];
  const ids = new Map<string, string>();
  const versions = new Map<string, string>();
  const taxCode = (await api.query(select('TaxCode').where('Name', '=', 'Illinois'))).objects[0].Id;
  ids.set('tax_code:1', taxCode);
  const refs: RefMap = {
    appId: () => undefined,
    qboId: (entity, appId) => (appId ? ids.get(`${entity}:${appId}`) : undefined),
    customTxnNumbers: false,
    accounts: await loadAccountBook(api, itemAccountSettings(undefined), realm.tenantId),
  };
  const record = async (what: string, item: QboBatchItem | undefined, key?: string) => {
    if (!item) return;
    const answer = await send(api, item, n);
    sent.push({ what, status: answer.ok ? 'ok' : `${answer.code}: ${answer.message} — ${answer.detail ?? ''}` });
    if (answer.ok && key) {
      ids.set(key, answer.object.Id);
      versions.set(key, String(answer.object.SyncToken));
    }
  };
  /** create, then update (a changed copy), through the entity's toQbo; remove through the backend's removal. */
  const cycle = async <C>(entity: EntityName, appId: number, c: C, changed: C, remove = true) => {
    const mapping = entities[entity] as QboEntity<C>;
    const key = `${entity}:${appId}`;
    const created = mapping.toQbo(c, refs);
    if (created instanceof MappingProblem) throw new Error(`${entity} create: ${created.message}`);
    await record(
      `${mode} ${entity} ${appId} create`,
      { operation: 'create', entityName: mapping.qboName, body: created },
      key,
    );
    const base = { Id: ids.get(key)!, SyncToken: versions.get(key) };
    const updated = mapping.toQbo(changed, refs, base);
    if (updated instanceof MappingProblem) throw new Error(`${entity} update: ${updated.message}`);
    await record(
      `${mode} ${entity} ${appId} update`,
      { operation: 'update', entityName: mapping.qboName, body: updated },
      key,
    );
    if (remove)
      await record(
        `${mode} ${entity} ${appId} remove`,
        removalItem(mapping as QboEntity<unknown>, ids.get(key)!, versions.get(key)),
      );
  };

  const parent = customer('Ada Lovelace', null);
  await cycle('customer', 1, parent, { ...parent, email: null, phone: null, shippingAddress: null }, false);
  const job = customer('Analytical Engine', 1);
  await cycle('customer', 2, job, { ...job, companyName: null, billingAddress: null }, false);
  const other = customer('Charles Babbage', null);
  await cycle('customer', 3, other, { ...other, givenName: null });
  await cycle('item', 10, item('Category', 'Machines'), item('Category', 'Machines', { active: true }), false);
  await cycle(
    'item',
    11,
    item('Service', 'Punching'),
    item('Service', 'Punching', { unitPrice: '15', sku: null }),
    false,
  );
  await cycle(
    'item',
    12,
    item('NonInventory', 'Cards', { incomeAccount: 'Services' }),
    item('NonInventory', 'Cards', { description: null }),
  );
  const stock = item('Inventory', 'Gears', { parentId: 10 });
  await cycle('item', 13, stock, { ...stock, unitPrice: '13.75' }, false);

  const invoice: InvoiceRecord = {
    ...{ docNumber: null, customerId: 1, txnDate: '2026-03-01', dueDate: null, taxCodeId: 1 },
    lines: [
      {
        kind: 'item',
        itemId: 11,
        description: 'Punching',
        quantity: '2',
        unitPrice: '15',
        amountCents: 3000,
        taxable: true,
      },
      {
        kind: 'item',
        itemId: 13,
        description: null,
        quantity: '1',
        unitPrice: '13.75',
        amountCents: 1375,
        taxable: false,
      },
      {
        kind: 'description',
        itemId: null,
        description: 'Thanks',
        quantity: null,
        unitPrice: null,
        amountCents: 0,
        taxable: false,
      },
      {
        kind: 'discount',
        itemId: null,
        description: 'Loyalty',
        quantity: null,
        unitPrice: null,
        amountCents: 500,
        taxable: false,
      },
    ],
    ...{ subtotalCents: 3875, taxCents: 0, totalCents: 3875, balanceCents: 3875 },
    ...{ email: 'ada@example.com', customerMemo: 'Thank you', privateNote: 'internal' },
  };
  await cycle('invoice', 20, invoice, { ...invoice, dueDate: '2026-04-30', email: null, customerMemo: null }, false);
  await cycle(
    'invoice',
    21,
    { ...invoice, customerId: 2, taxCodeId: null },
    { ...invoice, customerId: 2, privateNote: null },
  );
  const payment: PaymentRecord = {
    ...{ customerId: 1, txnDate: '2026-03-05', amountCents: 2000, reference: 'CHK 1' },
    applications: [{ invoiceId: 20, amountCents: 2000 }],
  };
  await cycle('payment', 30, payment, { ...payment, reference: null, amountCents: 2500 });

  if (mode === 'order-taking') {
    for (const [i, kind, orderAs] of [
      [40, 'Invoice', 'Estimate'],
      [41, 'Quote', 'Estimate'],
      [42, 'Order', 'Estimate'],
      [43, 'Order', 'Invoice'],
    ] as const) {
      const sale: SaleToSend = {
        ...{ id: i, type: kind, status: 'Open', number: `S-${i}`, customerId: 1, txnDate: '2026-03-02' },
        ...{
          dueDate: i === 40 ? null : '2026-04-01',
          taxCodeId: 1,
          memo: 'memo',
          privateNote: 'note',
          handedOver: null,
        },
        lines: [
          {
            kind: 'item',
            itemId: 11,
            description: 'Punching',
            quantity: '1',
            unitPrice: '15',
            amount: '15',
            taxCodeId: null,
          },
          {
            kind: 'description',
            itemId: null,
            description: 'Note',
            quantity: null,
            unitPrice: null,
            amount: '0',
            taxCodeId: null,
          },
          {
            kind: 'discount',
            itemId: null,
            description: 'Off',
            quantity: null,
            unitPrice: null,
            amount: '-1',
            taxCodeId: null,
          },
        ],
        transfer: { kind, orderAs },
      };
      const document = documentOf(sale);
      const body = saleToQbo(sale, kind, document, refs);
      if (body instanceof MappingProblem) throw new Error(`sale ${i}: ${body.message}`);
      await record(`${mode} sale ${kind} as ${document} create`, { operation: 'create', entityName: document, body });
    }
  }
  return sent;
}

describe('every body qbsync sends is one QuickBooks knows', () => {
  it.each(['billing', 'order-taking'] as const)(
    '%s mode: each entity × create/update/remove, 0 faults',
    async (mode) => {
      const sent = await everyBody(mode);
      const creates = sent.filter((s) => s.what.endsWith('create')).length;
      expect(creates).toBe(mode === 'billing' ? 10 : 14);
      expect(sent.filter((s) => s.what.endsWith('update'))).toHaveLength(10);
      expect(sent.filter((s) => s.what.endsWith('remove'))).toHaveLength(4);
      expect(sent.filter((s) => /^2010\b/.test(s.status))).toEqual([]);
      expect(sent.filter((s) => s.status !== 'ok')).toEqual([]);
    },
  );

  it('the emulator does refuse a misspelt field sent the same way (the check above can fail)', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const api = qboApiFromClient(realm.client);
    const [answer] = await api.batch(
      [
        {
          operation: 'create',
          entityName: 'Customer',
          body: { DisplayName: 'Typo', PrimaryEmail: { Address: 'a@b.c' } },
        },
      ],
      'typo-1',
    );
    expect(answer).toMatchObject({ ok: false, code: '2010' });
    expect(answer.ok || answer.detail).toContain('PrimaryEmail');
  });
});
