import { ENTITIES } from './company';
import type { RequestFacts } from './injection';

const CANONICAL = new Map([...ENTITIES, 'CompanyInfo', 'Preferences'].map((e) => [e.toLowerCase(), e]));

/** The entity as QuickBooks spells it (paths are lowercase, queries and bodies capitalised). */
export function canonicalEntity(name: string | undefined): string | undefined {
  return name === undefined ? undefined : (CANONICAL.get(name.toLowerCase()) ?? name);
}

const API_PATH = /^\/v3\/company\/([^/]+)\/([^/]+)(?:\/([^/]+))?\/?$/;

function entityInQuery(query: string | null): string | undefined {
  return query ? /\bfrom\s+(\w+)/i.exec(query)?.[1] : undefined;
}

/** What a request is (realm, entity, operation), for fault matching, limits and the request log. */
export function classify(method: string, url: URL): RequestFacts {
  const path = url.pathname;
  if (path === '/oauth2/v1/tokens/bearer') return { method, path, operation: 'token' };
  if (path === '/connect/oauth2') return { method, path, operation: 'authorize' };
  if (path === '/v2/oauth2/tokens/revoke') return { method, path, operation: 'revoke' };
  const m = API_PATH.exec(path);
  if (!m) {
    // Under a company but not a resource QuickBooks has (an extra segment, an empty one): answered by the API, 400.
    const realm = /^\/v3\/company\/([^/]+)\//.exec(path)?.[1];
    return realm ? { method, path, realmId: realm, operation: 'unknown' } : { method, path, operation: 'unknown' };
  }
  const [, realmId, resource, id] = m;
  const lower = resource.toLowerCase();
  if (lower === 'query')
    return {
      method,
      path,
      realmId,
      operation: 'query',
      entity: canonicalEntity(entityInQuery(url.searchParams.get('query'))),
    };
  if (lower === 'cdc') return { method, path, realmId, operation: 'cdc' };
  if (lower === 'batch') return { method, path, realmId, operation: 'batch' };
  const op = url.searchParams.get('operation');
  const operation =
    method === 'GET' ? 'read' : op === 'delete' ? 'delete' : op === 'void' ? 'void' : id ? 'read' : 'write';
  return { method, path, realmId, entity: canonicalEntity(resource), operation, id };
}
