import { z } from 'zod';
import { problemSchema } from './schemas';
import type { Route } from './router';

/**
 * The OpenAPI 3.1 document, generated from the very zod schemas that validate requests and shape responses
 * (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */
export function openApiDocument(routes: Route[], options: { version?: string } = {}): Record<string, unknown> {
  const json = (schema: z.ZodType, io: 'input' | 'output') => {
    const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    return rest;
  };
  const problemRef = { $ref: '#/components/schemas/Problem' };
  const problemResponse = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: problemRef } },
  });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    const paramNames = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const paramSchema = r.params ? (json(r.params, 'input') as { properties?: Record<string, unknown> }) : undefined;
    for (const name of paramNames)
      parameters.push({
        name,
        in: 'path',
        required: true,
        schema: paramSchema?.properties?.[name] ?? { type: 'string' },
      });
    if (r.query) {
      const q = json(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
    if (r.idempotent)
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Makes a retry safe: the same key with the same request answers what the first answered; with a different request it is refused (422)',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      });
    const responses: Record<string, unknown> = {
      [String(r.response.status)]: {
        description: r.response.description,
        content: r.response.html
          ? { [r.response.contentType ?? 'text/html']: { schema: { type: 'string' } } }
          : { 'application/json': { schema: json(r.response.schema, 'output') } },
      },
      '400': problemResponse('invalid request: `errors` names each field'),
      default: problemResponse('an error, as RFC 9457 problem details naming the field'),
    };
    if (r.auth !== 'none') {
      responses['401'] = problemResponse('no API key, an unknown one, or a revoked one');
      responses['403'] = problemResponse('the API key may not act on this tenant');
    }
    paths[r.path] ??= {};
    paths[r.path][r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.auth === 'none' ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: json(r.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  paths['/openapi.json'] = {
    get: {
      operationId: 'openApi',
      summary: 'This document',
      tags: ['meta'],
      security: [],
      responses: {
        '200': {
          description: 'the OpenAPI 3.1 document',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'qbsync',
      version: options.version ?? '0.1.0',
      description:
        "The app's side of the contract: tenants, connecting QuickBooks, Synchronize All, status, runs, problems, conflicts, records and events. See docs/app-contract.md.",
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer qbs_<id>_<secret> (qbsync apikey create)',
        },
      },
      schemas: { Problem: json(problemSchema, 'output') },
    },
    paths,
  };
}
