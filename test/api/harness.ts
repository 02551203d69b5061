import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TokenCipher } from '../../activities/connection/crypto';
import { ApiProblem, QbsyncApi, type ResponseRecord } from '../../client/api';
import type { Db } from '../../schema/db';
import { startApiServer, type ApiDeps, type RunningApi } from '../../server';
import { createApiKey } from '../../server/apiKeys';
import { createLogger } from '../../workers/logger';

type Json = Record<string, unknown>;

/**
 * Checks a response against the OpenAPI document: the operation's schema for its status (or `default`), under the
 * content type it was sent with; every error must be application/problem+json naming a field.
 */
export class ContractChecker {
  checked = 0;
  private readonly cache = new Map<string, z.ZodType>();
  constructor(private readonly document: Json) {}

  check(r: ResponseRecord): void {
    const paths = this.document.paths as Record<string, Record<string, Json>>;
    const op = paths[r.path]?.[r.method.toLowerCase()];
    if (!op) throw new Error(`response to ${r.method} ${r.path}: no such operation in /openapi.json`);
    const responses = op.responses as Record<string, Json>;
    const response = responses[String(r.status)] ?? responses.default;
    if (!response) throw new Error(`${r.method} ${r.path} answered ${r.status}, which the document does not list`);
    if (r.status >= 400) {
      if (!r.contentType.startsWith('application/problem+json'))
        throw new Error(`${r.method} ${r.path} answered ${r.status} as ${r.contentType}, not application/problem+json`);
      const errors = (r.body as { errors?: Array<{ field?: string }> }).errors;
      if (!errors?.length || errors.some((e) => !e.field))
        throw new Error(
          `${r.method} ${r.path} answered ${r.status} without naming the field: ${JSON.stringify(r.body)}`,
        );
    }
    const type = r.contentType.split(';')[0].trim();
    const content = (response.content as Record<string, { schema: Json }> | undefined)?.[type];
    if (!content) throw new Error(`${r.method} ${r.path} ${r.status}: the document has no ${type} content`);
    const key = `${r.method} ${r.path} ${r.status} ${type}`;
    let schema = this.cache.get(key);
    if (!schema) {
      schema = z.fromJSONSchema(this.resolve(content.schema) as Parameters<typeof z.fromJSONSchema>[0]);
      this.cache.set(key, schema);
    }
    const result = schema.safeParse(r.body);
    if (!result.success)
      throw new Error(
        `${r.method} ${r.path} ${r.status} does not match /openapi.json: ${JSON.stringify(result.error.issues.slice(0, 3))}\nbody: ${JSON.stringify(r.body).slice(0, 1000)}`,
      );
    this.checked++;
  }

  private resolve(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map((s) => this.resolve(s));
    if (typeof schema !== 'object' || schema === null) return schema;
    const ref = (schema as Json).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length);
      return this.resolve(((this.document.components as Json).schemas as Json)[name]);
    }
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, this.resolve(v)]));
  }
}

export const TEST_KEY = randomBytes(32).toString('base64');

export interface ApiHarness {
  api: RunningApi;
  checker: ContractChecker;
  /** A client with this key (or none), whose every response is checked against the document. */
  client(key?: string): QbsyncApi;
  key(tenants: string[], name?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApiHarness(
  db: Db,
  deps: Partial<ApiDeps> = {},
  maxBodyBytes?: number,
  port?: number,
): Promise<ApiHarness> {
  const cipher = new TokenCipher(TEST_KEY);
  const full: ApiDeps = { db, cipher, ...deps };
  const api = await startApiServer({
    ...full,
    logger: createLogger(process.env.TEST_API_LOG ?? 'silent'),
    maxBodyBytes,
    port,
  });
  const served = (await (await fetch(`${api.url}/openapi.json`)).json()) as Json;
  const checker = new ContractChecker(served);
  return {
    api,
    checker,
    client: (key) => new QbsyncApi({ baseUrl: api.url, apiKey: key, onResponse: (r) => checker.check(r) }),
    key: async (tenants, name = 'test') => (await createApiKey(db, { name, tenants })).key,
    close: () => api.close(),
  };
}

/** The problem a call must end in (fails the test when it succeeds). */
export async function problemOf(p: Promise<unknown>): Promise<ApiProblem> {
  try {
    await p;
  } catch (error) {
    if (error instanceof ApiProblem) return error;
    throw error;
  }
  throw new Error('expected a problem');
}
