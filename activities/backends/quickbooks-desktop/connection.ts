import type { Db } from '../../sync/backend';
import { parseSettings } from '../../connection/tenantSettings';
import { braceGuid, hashPassword } from './credentials';

export type DesktopFlavour = 'quickbooks' | 'reckon';

export class DesktopTenantError extends Error {
  override name = 'DesktopTenantError';
}

/** Registers a Desktop tenant's Web Connector identity: its user name (the tenant id) and the .qwc GUIDs, kept for good. */
export async function addDesktopConnection(db: Db, tenantId: string, flavour: DesktopFlavour): Promise<void> {
  await db
    .insertInto('desktop_connections')
    .values({ tenant_id: tenantId, flavour, username: tenantId, owner_id: braceGuid(), file_id: braceGuid() })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ flavour }))
    .execute();
}

/** Stores the Web Connector password's scrypt hash (the password itself is never stored). */
export async function setDesktopPassword(db: Db, tenantId: string, password: string): Promise<void> {
  const hash = await hashPassword(password);
  const updated = await db
    .updateTable('desktop_connections')
    .set({ password_hash: hash })
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    throw new DesktopTenantError(
      `tenant ${tenantId} is not a QuickBooks Desktop tenant: add it with \`qbsync tenant add ${tenantId} --backend quickbooks-desktop\``,
    );
}

export async function readDesktopConnection(db: Db, tenantId: string) {
  const row = await db
    .selectFrom('desktop_connections as d')
    .innerJoin('tenants as t', 't.id', 'd.tenant_id')
    .select([
      'd.tenant_id',
      'd.flavour',
      'd.username',
      'd.owner_id',
      'd.file_id',
      'd.company_name',
      'd.company_file',
      'd.last_seen_at',
      't.name',
      't.settings',
    ])
    .where('d.tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!row)
    throw new DesktopTenantError(
      `tenant ${tenantId} is not a QuickBooks Desktop tenant: add it with \`qbsync tenant add ${tenantId} --backend quickbooks-desktop\``,
    );
  return row;
}

/** Minutes between Web Connector runs: the setting, else the schedule's shortest gap between two times, at most 60. */
export function runEveryMinutes(settingsValue: unknown): number {
  const settings = parseSettings(settingsValue);
  if (settings.desktop.runEveryMinutes) return settings.desktop.runEveryMinutes;
  const minutes = settings.schedule.times
    .map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3)))
    .sort((a, b) => a - b);
  let gap = 24 * 60;
  minutes.forEach((m, i) => {
    const next = i + 1 < minutes.length ? minutes[i + 1] : minutes[0] + 24 * 60;
    if (next > m) gap = Math.min(gap, next - m);
  });
  return Math.max(1, Math.min(60, gap));
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The .qwc file the user adds to the Web Connector (File → Add an application). AppURL must be https unless the
 * host is localhost (the Web Connector refuses anything else).
 */
export async function renderQwc(db: Db, tenantId: string, appUrl: string): Promise<string> {
  const url = new URL(appUrl);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !local)
    throw new DesktopTenantError(
      `the Web Connector only accepts https URLs (or http on localhost), not ${appUrl}: set QBWC_PUBLIC_URL to the https address of \`qbsync webconnector\``,
    );
  const c = await readDesktopConnection(db, tenantId);
  const product = c.flavour === 'reckon' ? 'Reckon Accounts' : 'QuickBooks';
  const fields: Array<[string, string]> = [
    ['AppName', `qbsync (${c.name})`],
    ['AppID', ''],
    ['AppURL', appUrl],
    ['AppDescription', `Synchronises ${c.name} with ${product}`],
    ['AppSupport', new URL('/qbwc/support', appUrl).toString()],
    ['UserName', c.username],
    ['OwnerID', c.owner_id],
    ['FileID', c.file_id],
    ['QBType', 'QBFS'],
  ];
  const body = fields.map(([k, v]) => `  <${k}>${escapeXml(v)}</${k}>`).join('\n');
  return `<?xml version="1.0"?>
<QBWCXML>
${body}
  <Scheduler>
    <RunEveryNMinutes>${runEveryMinutes(c.settings)}</RunEveryNMinutes>
  </Scheduler>
  <IsReadOnly>false</IsReadOnly>
</QBWCXML>
`;
}

export interface WebConnectorState {
  company: string;
  /** A request has been waiting with no Web Connector session open. */
  waiting: boolean;
  waitingSince: Date | null;
  connected: boolean;
  lastSeenAt: Date | null;
  lastError: string | null;
}

/** What `qbsync status` says about a Desktop tenant's Web Connector, or undefined for other tenants. */
export async function webConnectorState(db: Db, tenantId: string): Promise<WebConnectorState | undefined> {
  const c = await db
    .selectFrom('desktop_connections as d')
    .innerJoin('tenants as t', 't.id', 'd.tenant_id')
    .select(['d.company_name', 'd.company_file', 'd.last_seen_at', 't.name'])
    .where('d.tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!c) return undefined;
  const open = await db
    .selectFrom('qbwc_sessions')
    .select('ticket')
    .where('tenant_id', '=', tenantId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  const oldest = await db
    .selectFrom('qbxml_exchanges')
    .select('created_at')
    .where('tenant_id', '=', tenantId)
    .where('state', 'in', ['pending', 'lost'])
    .orderBy('created_at')
    .executeTakeFirst();
  const last = await db
    .selectFrom('qbwc_sessions')
    .select(['end_reason', 'last_error'])
    .where('tenant_id', '=', tenantId)
    .orderBy('started_at', 'desc')
    .executeTakeFirst();
  return {
    company: c.company_name ?? c.company_file ?? c.name,
    waiting: !!oldest && !open,
    waitingSince: oldest && !open ? oldest.created_at : null,
    connected: !!open,
    lastSeenAt: c.last_seen_at,
    lastError: last?.last_error ?? (last?.end_reason?.startsWith('QuickBooks could not') ? last.end_reason : null),
  };
}

export function formatWebConnectorState(s: WebConnectorState): string {
  const seen = s.lastSeenAt ? `last connected ${s.lastSeenAt.toISOString()}` : 'never connected yet';
  if (s.waiting)
    return `waiting for the Web Connector of ${s.company} since ${s.waitingSince!.toISOString()} (${seen}): open QuickBooks with the company file and let the Web Connector run qbsync${s.lastError ? `; last problem: ${s.lastError}` : ''}`;
  return `Web Connector of ${s.company}: ${s.connected ? 'connected now' : seen}${s.lastError ? `; last problem: ${s.lastError}` : ''}`;
}
