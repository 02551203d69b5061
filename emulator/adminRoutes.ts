import { entityOf } from './company';
import type { Emulator } from './emulator';
import type { Reply } from './faults';
import type { FaultRule } from './injection';
import { seedBulk, seedDemo, type BulkSeed } from './seed';

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ok = (body: unknown = {}): Reply => ({ status: 200, body });

function parse(body: string): Record<string, unknown> {
  if (!body) return {};
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new AdminError(400, 'the body is not JSON');
  }
}

/** The emulator's own API under /_emulator (not QuickBooks'): not rate limited and not in the request log. */
export async function handleAdmin(emulator: Emulator, method: string, url: URL, rawBody: string): Promise<Reply> {
  try {
    return await route(emulator, method, url, parse(rawBody));
  } catch (error) {
    const status = error instanceof AdminError ? error.status : 400;
    return { status, body: { error: (error as Error).message } };
  }
}

async function route(emulator: Emulator, method: string, url: URL, input: Record<string, unknown>): Promise<Reply> {
  const parts = url.pathname.split('/').filter(Boolean).slice(1);
  const realm = parts[0] === 'companies' ? parts[1] : undefined;
  const route = `${method} /${parts.map((p, i) => (i === 1 && realm ? ':realm' : p)).join('/')}`;
  const company = () => {
    const found = realm ? emulator.companies.get(realm) : undefined;
    if (!found) throw new AdminError(404, `no company ${realm}`);
    return found;
  };
  switch (route) {
    case 'POST /companies':
      return ok({ realmId: emulator.createCompany(input as Parameters<Emulator['createCompany']>[0]).realmId });
    case 'POST /apps': {
      if (!Array.isArray(input.redirectUris)) throw new AdminError(400, 'redirectUris must be an array');
      const app = emulator.oauth.registerApp(input as { redirectUris: string[] });
      return ok({ clientId: app.clientId, clientSecret: app.clientSecret });
    }
    case 'POST /tokens':
      if (!emulator.companies.has(String(input.realmId)))
        throw new AdminError(404, `no company ${String(input.realmId)}`);
      return ok(emulator.oauth.issueDirect(String(input.clientId), String(input.realmId)));
    case 'POST /reset':
      emulator.reset();
      return ok();
    case 'POST /companies/:realm/seed': {
      const c = company();
      if (input.kind === 'demo') seedDemo(c);
      else if (input.kind === 'bulk') seedBulk(c, input as BulkSeed);
      else throw new AdminError(400, 'kind must be demo or bulk');
      return ok({ counts: Object.fromEntries([...c.tables].map(([e, t]) => [e, t.size])) });
    }
    case 'POST /companies/:realm/preferences':
      if (input.customTxnNumbers !== undefined) company().customTxnNumbers = Boolean(input.customTxnNumbers);
      if (typeof input.defaultTermsId === 'string') company().defaultTermsId = input.defaultTermsId;
      return ok();
    case 'POST /companies/:realm/expire-tokens':
      emulator.oauth.expireRealm(company().realmId);
      return ok();
    case 'POST /companies/:realm/webhook':
      if (typeof input.url !== 'string' || typeof input.verifierToken !== 'string')
        throw new AdminError(400, 'url and verifierToken are required');
      emulator.webhooks.set(company().realmId, { url: input.url, verifierToken: input.verifierToken });
      return ok();
    case 'GET /companies/:realm/entities':
      return ok([
        ...company()
          .table(entityOf(url.searchParams.get('entity') ?? ''))
          .values(),
      ]);
    case 'POST /faults': {
      const rule = input as unknown as FaultRule;
      if (!rule.fault || typeof rule.count !== 'number') throw new AdminError(400, 'count and fault are required');
      emulator.faults.add(rule);
      return ok();
    }
    case 'DELETE /faults':
      emulator.faults.clear();
      return ok();
    case 'POST /clock':
      emulator.clock.advance(Number(input.advanceMs ?? 0));
      return ok({ now: new Date(emulator.clock.now()).toISOString() });
    case 'GET /requests':
      return ok(
        emulator.log.list({
          realmId: url.searchParams.get('realmId') ?? undefined,
          sinceSeq: Number(url.searchParams.get('sinceSeq') ?? 0),
        }),
      );
    case 'DELETE /requests':
      emulator.log.clear();
      return ok();
    case 'POST /save':
      if (!emulator.options.stateFile) throw new AdminError(400, 'started without a state file');
      emulator.save(emulator.options.stateFile);
      return ok();
    default:
      throw new AdminError(404, `no admin route ${route}`);
  }
}
