import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../schema/db';
import type { Logger } from '../workers/logger';
import { openApiDocument } from './openapi';
import { createHandler, route, type Route } from './router';
import { apiRoutes, type ApiDeps } from './routes';
import { consoleApiRoutes, type ConsoleDeps } from './consoleApi';
import { consoleAssets } from './console/static';
import { z } from 'zod';

export { openApiDocument } from './openapi';
export { apiRoutes, type ApiDeps } from './routes';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface ApiServerOptions extends ApiDeps, ConsoleDeps {
  db: Db;
  logger: Logger;
  host?: string;
  port?: number;
  maxBodyBytes?: number;
}

export interface RunningApi {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export function allRoutes(deps: ApiDeps & ConsoleDeps): Route[] {
  const routes = [...apiRoutes(deps), ...consoleApiRoutes(deps)];
  const document = openApiDocument(routes);
  routes.push(
    route({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openApi',
      summary: 'This document',
      tag: 'meta',
      auth: 'none',
      response: { status: 200, schema: z.record(z.string(), z.unknown()), description: 'the OpenAPI 3.1 document' },
      handler: async () => ({ body: document }),
    }),
  );
  return routes;
}

/** The REST API on Node's own http server; it listens on 127.0.0.1 unless told otherwise. */
export async function startApiServer(options: ApiServerOptions): Promise<RunningApi> {
  const handler = createHandler(allRoutes(options), {
    db: options.db,
    logger: options.logger,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
  // The console's pages and assets under /console/ (and / sends there); everything else is the API.
  const assets = consoleAssets();
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    if (!assets.serve(req, res)) handler(req, res);
  });
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        setImmediate(() => server.closeAllConnections());
      }),
  };
}
