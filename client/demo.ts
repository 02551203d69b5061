import path from 'node:path';
import { cipherFromConfig } from '../activities/connection/crypto';
import { connectNonInteractive } from '../activities/connection/connect';
import { IntuitOAuth, oauthSettings } from '../activities/connection/oauth';
import { addTenant, listTenants } from '../activities/connection/tenants';
import { DEMO_REALM_ID, startEmulator, type RunningEmulator } from '../emulator';
import type { Db } from '../schema/db';
import { systemClock } from '../workers/clock';
import type { Config } from '../workers/config';
import type { SyncFailure } from '../common/messages';
import type { StepProgress } from '../workflows/syncTenant';
import { answers } from './net';

export const DEMO_TENANT = 'demo';

/** Whether `qbsync dev` should stand the emulator in for QuickBooks: nothing points it at Intuit or another emulator. */
export function wantsEmbeddedEmulator(config: Config): boolean {
  return (
    config.QBO_ENV === 'emulator' && !config.QBO_OAUTH_BASE_URL && !config.QBO_API_BASE_URL && !config.QBO_CLIENT_ID
  );
}

/**
 * The emulator on its default port, with the demo company and app, its state kept in the data directory so the
 * demo company's records outlive a restart. When something already listens there (`qbsync emulator` in another
 * terminal), that one is used.
 */
export async function startDemoEmulator(
  config: Config,
  say: (line: string) => void,
): Promise<RunningEmulator | undefined> {
  const url = `http://127.0.0.1:${config.EMULATOR_PORT}`;
  if (await answers(url)) {
    say(`QuickBooks emulator already listening at ${url}: using it`);
    return undefined;
  }
  const stateFile = path.join(config.dataDir, 'emulator.json');
  const emulator = await startEmulator({
    port: config.EMULATOR_PORT,
    seed: 'demo',
    stateFile,
    limits: 'production',
    quiet: true,
  });
  say(
    `QuickBooks emulator (stands in for QuickBooks Online and Intuit OAuth) at ${emulator.url}, state in ${path.relative(process.cwd(), stateFile) || stateFile}`,
  );
  return emulator;
}

/**
 * A first-run tenant: when no tenant exists yet, `demo` is added; it is (re)connected to the emulator's demo company
 * through the real OAuth flow (the emulator consents at once), so a fresh machine syncs without any setup.
 */
export async function ensureDemoTenant(
  config: Config,
  db: Db,
  say: (line: string) => void,
): Promise<string | undefined> {
  const tenants = await listTenants(db);
  if (tenants.length > 0 && !tenants.some((t) => t.id === DEMO_TENANT)) return undefined;
  if (tenants.length === 0) {
    await addTenant(db, { id: DEMO_TENANT, name: 'Demo company (emulator)' });
    say(`added tenant "${DEMO_TENANT}"`);
  }
  const oauth = new IntuitOAuth(oauthSettings(config));
  const { realmId } = await connectNonInteractive(
    { db, oauth, cipher: cipherFromConfig(config), clock: systemClock },
    DEMO_TENANT,
    { realmId: DEMO_REALM_ID },
  );
  say(`tenant "${DEMO_TENANT}" connected to the emulator's demo company (realm ${realmId})`);
  return DEMO_TENANT;
}

/** One line per step: what moved each way, and on failure where and what to do. */
export function summarize(steps: StepProgress[], failure?: SyncFailure): string[] {
  const lines = steps.map((s) => {
    const pulled = `${s.pulled.created} new, ${s.pulled.updated} updated`;
    const pushed = `${s.pushed.created} new, ${s.pushed.updated} updated`;
    const failed = s.pulled.failed + s.pushed.failed;
    return `  ${s.step.padEnd(10)} ${s.status.padEnd(9)} from QuickBooks: ${pulled}; to QuickBooks: ${pushed}${failed ? `; ${failed} failed` : ''}`;
  });
  if (failure)
    lines.push(
      `  failed in ${failure.step ?? 'a step'}${failure.record ? `, record ${failure.record}` : ''}: ${failure.message}${failure.action ? ` — ${failure.action}` : ''}`,
    );
  return lines;
}
