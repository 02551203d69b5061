import { z } from 'zod';

/** Runs a day a tenant may schedule: every 30 minutes at most (1,440 would start a run each minute). */
export const MAX_SCHEDULE_TIMES = 48;

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');

/** A tenant's settings, validated; every field has the documented default. */
export const tenantSettingsSchema = z
  .object({
    conflictPolicy: z.enum(['quickbooks-wins', 'app-wins', 'latest-wins']).default('quickbooks-wins'),
    onRecordError: z.enum(['stop', 'skip']).default('stop'),
    /** Runs a record may wait for a dependency not in QuickBooks yet (deferred) before it fails the run. */
    deferRuns: z.number().int().min(0).max(100).default(3),
    /**
     * A linked record QuickBooks no longer has (deleted there, or a backup restored): `stop` reports it and waits for
     * the user's decision; `recreate` creates it in QuickBooks again and links the new one.
     */
    onVanished: z.enum(['stop', 'recreate']).default('stop'),
    schedule: z
      .object({
        enabled: z.boolean().default(true),
        times: z
          .array(time)
          .min(1, 'at least one time, such as ["22:30"] (or schedule.enabled=false)')
          .max(MAX_SCHEDULE_TIMES, `at most ${MAX_SCHEDULE_TIMES} times a day (one every 30 minutes)`)
          .default(['22:30', '01:30']),
        timeZone: z
          .string()
          .refine((tz) => {
            try {
              new Intl.DateTimeFormat('en-US', { timeZone: tz });
              return true;
            } catch {
              return false;
            }
          }, 'an IANA time zone such as America/Chicago')
          .default('America/Chicago'),
      })
      .strict()
      .prefault({}),
    notifications: z
      .object({
        on: z.enum(['all', 'failures', 'none']).default('failures'),
        email: z.array(z.string().email()).default([]),
        webhookUrl: z
          .string()
          .url()
          .refine((u) => /^https?:\/\//i.test(u), 'an https:// URL')
          .refine((u) => !/^https?:\/\/[^/?#]*@/i.test(u), 'a URL without credentials (the posts are signed)')
          .optional(),
        /**
         * Legacy: named an environment variable of the worker holding the signing secret. Still read, so a tenant that
         * has it keeps syncing, but refused on every write and at delivery (legacySecretRefMessage).
         */
        webhookSecretRef: z.string().optional(),
      })
      .strict()
      .prefault({}),
    sendInvoicesAutomatically: z.boolean().default(true),
    orderTaking: z
      .object({
        readyStatus: z.string().min(1).default('Open'),
        doneStatus: z.string().min(1).default('Closed'),
        orderAs: z.enum(['Estimate', 'Invoice']).default('Estimate'),
        saleTypes: z.array(z.string().min(1)).default(['Invoice', 'Quote', 'Order']),
        statuses: z.array(z.string().min(1)).default(['Open', 'Closed']),
        /**
         * How the tenant's own sale types transfer: type name → Invoice, Quote, Order or none. A type named Invoice,
         * Quote or Order (any case) transfers as that unless listed here; every other type never transfers.
         */
        transferAs: z.record(z.string().min(1), z.enum(['Invoice', 'Quote', 'Order', 'none'])).optional(),
      })
      .strict()
      .refine((o) => o.readyStatus.trim().toLowerCase() !== o.doneStatus.trim().toLowerCase(), {
        message: 'readyStatus and doneStatus must differ',
        path: ['doneStatus'],
      })
      .prefault({}),
    /**
     * QuickBooks Online: the accounts an item created from the app gets, each by name (or `Parent:Child` full name) or
     * account number; an item's own income account in the app overrides `income`.
     */
    accounts: z
      .object({
        income: z.string().trim().min(1).default('Sales of Product Income'),
        /** Cost of goods sold, for Inventory items. */
        expense: z.string().trim().min(1).default('Cost of Goods Sold'),
        inventoryAsset: z.string().trim().min(1).default('Inventory Asset'),
      })
      .strict()
      .prefault({}),
    /** QuickBooks Desktop / Reckon tenants (backend quickbooks-desktop): the Web Connector's rhythm and patience. */
    desktop: z
      .object({
        /** How long a run waits for the company's Web Connector before it fails (and notifies). */
        waitMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(120),
        /** The .qwc file's RunEveryNMinutes; default from the schedule (its shortest gap, at most 60). */
        runEveryMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

/** The keys a settings object at a dotted path accepts, for error messages. */
function knownKeys(at: string): Record<string, unknown> {
  let node: unknown = tenantSettingsSchema.parse({});
  for (const k of at.split('.').filter(Boolean)) node = (node as Record<string, unknown> | undefined)?.[k];
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : {};
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** What a tenant with the legacy `notifications.webhookSecretRef` must do instead. */
export function legacySecretRefMessage(tenantId = '<tenant>'): string {
  return `notifications.webhookSecretRef (the name of an environment variable of the worker) is no longer accepted: store the webhook secret itself with \`qbsync tenant set ${tenantId} --webhook-secret\` (read from stdin without echo, stored encrypted; this also removes webhookSecretRef)`;
}

export function parseSettings(value: unknown): TenantSettings {
  const result = tenantSettingsSchema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      const names = issue.keys.map((k) => (at ? `${at}.${k}` : k)).join(', ');
      throw new SettingsError(
        `unknown setting ${names} (known${at ? ` under ${at}` : ''}: ${Object.keys(knownKeys(at)).join(', ')})`,
      );
    }
    const expected =
      issue.code === 'invalid_value'
        ? `expected one of ${issue.values.map(String).join(', ')}`
        : issue.message.replace(/^Invalid (input|option): /, '');
    throw new SettingsError(`setting ${at || '(root)'} is invalid: ${expected}`);
  }
  return result.data;
}

/**
 * Applies `key=value` pairs (dotted keys, JSON values where they parse) to settings and validates the result. With
 * `dropLegacySecretRef`, the legacy webhookSecretRef is removed first; otherwise its presence refuses the write.
 */
export function applySettingPairs(
  current: unknown,
  pairs: string[],
  options: { tenantId?: string; dropLegacySecretRef?: boolean } = {},
): TenantSettings {
  const next = structuredClone((current ?? {}) as Record<string, unknown>);
  const notifications = next.notifications as Record<string, unknown> | undefined;
  if (options.dropLegacySecretRef && notifications) delete notifications.webhookSecretRef;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SettingsError(`"${pair}" is not key=value`);
    const keys = pair.slice(0, eq).split('.');
    if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype'))
      throw new SettingsError(`"${pair.slice(0, eq)}" is not a setting name`);
    const raw = pair.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let target = next;
    for (const k of keys.slice(0, -1)) {
      if (typeof target[k] !== 'object' || target[k] === null) target[k] = {};
      target = target[k] as Record<string, unknown>;
    }
    target[keys.at(-1)!] = value;
  }
  const parsed = parseSettings(next);
  if (parsed.notifications.webhookSecretRef !== undefined)
    throw new SettingsError(legacySecretRefMessage(options.tenantId));
  return parsed;
}
