import { parseSettings } from '../../activities/connection/tenantSettings';
import { isReady, orderTakingSettings, qboEntityOf, transferKindOf } from '../../activities/sync/orderTaking/settings';
import { mappingsFor, stepParts } from '../../activities/sync/modes';
import { STEPS } from '../../activities/sync/model';

test('tenant-defined sale types: Invoice, Quote and Order transfer as themselves (any case), others only when mapped', () => {
  const settings = orderTakingSettings({
    saleTypes: ['invoice', 'Quote', 'Order', 'Sales Order', 'Credit Note', 'Sample'],
    transferAs: { 'sales order': 'Order', Quote: 'none' },
  });
  expect(
    ['invoice', 'Quote', 'Order', 'Sales Order', 'Credit Note', 'Sample'].map((t) => transferKindOf(t, settings)),
  ).toEqual(['Invoice', undefined, 'Order', 'Order', undefined, undefined]);
  expect(qboEntityOf('Order', settings)).toBe('Estimate');
  expect(qboEntityOf('Order', orderTakingSettings({ orderAs: 'Invoice' }))).toBe('Invoice');
  expect(qboEntityOf('Quote', settings)).toBe('Estimate');
  expect([isReady(' open', settings), isReady('Closed', settings)]).toEqual([true, false]);
});

test('settings: the ready and done statuses must differ; a bad kind is named', () => {
  expect(() => parseSettings({ orderTaking: { readyStatus: 'Done', doneStatus: 'done' } })).toThrow(
    'setting orderTaking.doneStatus is invalid: readyStatus and doneStatus must differ',
  );
  expect(() => parseSettings({ orderTaking: { transferAs: { Rental: 'Lease' } } })).toThrow(
    'setting orderTaking.transferAs.Rental is invalid: expected one of Invoice, Quote, Order, none',
  );
  expect(orderTakingSettings(undefined)).toEqual({
    readyStatus: 'Open',
    doneStatus: 'Closed',
    orderAs: 'Estimate',
    saleTypes: ['Invoice', 'Quote', 'Order'],
    statuses: ['Open', 'Closed'],
  });
});

test('the five steps stay in both modes; order-taking changes what they move', () => {
  const parts = (mode: 'billing' | 'order-taking') =>
    Object.fromEntries(STEPS.map((step) => [step, stepParts(mode, step).map((p) => `${p.direction} ${p.entity}`)]));
  expect(parts('billing')).toEqual({
    customers: ['pull customer', 'push customer'],
    items: ['pull item', 'push item'],
    taxes: ['pull tax_rate', 'pull tax_code'],
    invoices: ['pull invoice', 'push invoice'],
    payments: ['pull payment', 'push payment'],
  });
  expect(parts('order-taking')).toEqual({
    customers: ['pull customer', 'push customer'],
    // Price levels are pulled where the backend holds them (QuickBooks Desktop); elsewhere the page is empty.
    items: ['pull tax_rate', 'pull tax_code', 'pull item', 'push item', 'pull price_level'],
    taxes: [],
    invoices: ['push sale'],
    payments: [],
  });
  expect(mappingsFor('order-taking').customer.ignoreAppChanges).toMatchObject({ linked: true, unlinked: false });
  expect(mappingsFor('order-taking').item.ignoreAppChanges).toMatchObject({ linked: true, unlinked: true });
  expect(mappingsFor('billing').customer.ignoreAppChanges).toBeUndefined();
});
