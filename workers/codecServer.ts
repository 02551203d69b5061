import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { JSONToPayload, payloadToJSON, type JSONPayload } from '@temporalio/common/lib/proto-utils';

/** Temporal Web's origins on a machine running `npm start` (the page's origin is whatever host was typed). */
export const DEFAULT_CODEC_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Default 127.0.0.1: the decoded payloads are the customers' data; expose it beyond loopback deliberately. */
  host?: string;
  port?: number;
  /** Origins allowed by CORS (Temporal Web's); requests from other origins get no CORS headers. */
  origins?: string[];
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Temporal's codec server protocol: `POST /encode` and `POST /decode` (also under `/{namespace}/`), each taking and
 * answering `{"payloads":[…]}` in proto3 JSON (base64 metadata values and data), with CORS for Temporal Web.
 */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const origins = new Set(options.origins ?? DEFAULT_CODEC_ORIGINS);
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'origin');
    }
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const route = /^(?:\/[^/]+)?\/(encode|decode)\/?$/.exec(new URL(req.url ?? '/', 'http://codec').pathname);
    if (!route) return reply(404, { error: 'not found: POST /encode or /decode' });
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      return res.end();
    }
    if (req.method !== 'POST') return reply(405, { error: 'POST only' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reply(413, { error: 'body too large' });
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      void (async () => {
        let payloads;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: JSONPayload[] };
          if (!Array.isArray(body.payloads)) throw new Error('expected {"payloads":[…]}');
          payloads = body.payloads.map((p) => JSONToPayload(p));
        } catch (error) {
          return reply(400, { error: `unreadable request: ${(error as Error).message}` });
        }
        try {
          const out =
            route[1] === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
          reply(200, { payloads: out.map((p) => payloadToJSON(p)) });
        } catch (error) {
          reply(400, { error: (error as Error).message });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
