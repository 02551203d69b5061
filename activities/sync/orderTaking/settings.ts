import { tenantSettingsSchema, type TenantSettings } from '../../connection/tenantSettings';

export type OrderTakingSettings = TenantSettings['orderTaking'];

/** The three kinds of sale QuickBooks Online can take; every other sale type of a tenant stays in the app. */
export type TransferKind = 'Invoice' | 'Quote' | 'Order';

/** A tenant's order-taking settings with their documented defaults (unset or invalid values fall back to them). */
export function orderTakingSettings(raw: unknown): OrderTakingSettings {
  const parsed = tenantSettingsSchema.shape.orderTaking.safeParse(raw ?? {});
  return parsed.success ? parsed.data : tenantSettingsSchema.shape.orderTaking.parse({});
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * How a sale of the tenant's own type transfers: `transferAs` names the kind (or `none`); otherwise a type called
 * Invoice, Quote or Order (any case) is that kind, and any other type never transfers.
 */
export function transferKindOf(type: string, settings: OrderTakingSettings): TransferKind | undefined {
  const listed = Object.entries(settings.transferAs ?? {}).find(([name]) => same(name, type));
  if (listed) return listed[1] === 'none' ? undefined : listed[1];
  return (['Invoice', 'Quote', 'Order'] as const).find((kind) => same(kind, type));
}

/** The QuickBooks transaction a kind becomes: QuickBooks Online has no sales orders, so an order is an estimate or an invoice. */
export function qboEntityOf(kind: TransferKind, settings: OrderTakingSettings): 'Invoice' | 'Estimate' {
  if (kind === 'Invoice') return 'Invoice';
  if (kind === 'Quote') return 'Estimate';
  return settings.orderAs;
}

export function isReady(status: string, settings: OrderTakingSettings): boolean {
  return same(status, settings.readyStatus);
}
