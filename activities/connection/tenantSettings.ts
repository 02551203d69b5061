import { z } from 'zod';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');

/** A tenant's settings, validated; every field has the documented default. */
export const tenantSettingsSchema = z
  .object({
    conflictPolicy: z.enum(['quickbooks-wins', 'app-wins', 'latest-wins']).default('quickbooks-wins'),
    onRecordError: z.enum(['stop', 'skip']).default('stop'),
    schedule: z
      .object({
        enabled: z.boolean().default(true),
        times: z.array(time).min(1).default(['22:30', '01:30']),
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
        webhookUrl: z.string().url().optional(),
        /** The name of the secret that signs webhook posts (resolved from the environment), never the secret itself. */
        webhookSecretRef: z.string().min(1).optional(),
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

/** Applies `key=value` pairs (dotted keys, JSON values where they parse) to settings and validates the result. */
export function applySettingPairs(current: unknown, pairs: string[]): TenantSettings {
  const next = structuredClone((current ?? {}) as Record<string, unknown>);
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
  return parseSettings(next);
}
