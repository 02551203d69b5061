import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Reply } from './faults';

const MAX_BODY = 20 * 1024 * 1024;
const JSON_TYPE = 'application/json;charset=UTF-8';

export function readBody(req: IncomingMessage): Promise<string> {
  if (req.method === 'GET' && !req.headers['content-length'] && !req.headers['transfer-encoding']) {
    req.resume();
    return Promise.resolve('');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A transaction id as QuickBooks' gateway writes it: `1-` + 8 hex digits of time + `-` + 24 hex digits. */
export function intuitTid(now = Date.now()): string {
  return `1-${Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

/** Sends a reply with an `intuit_tid` header (that spelling, as Intuit's gateway sends it); string bodies go out as they are. */
export function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = {
    intuit_tid: intuitTid(),
    ...(reply.headers ?? {}),
  };
  const isString = typeof reply.body === 'string';
  if (!headers['content-type'] && !(isString && reply.status === 302)) headers['content-type'] = JSON_TYPE;
  const payload = isString ? (reply.body as string) : JSON.stringify(reply.body);
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export const sendJson = send;

/** Listens on host:port (0 = any free port) and resolves with the address. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host: string,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
