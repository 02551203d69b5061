import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

/** Where the console's files are: beside this module from source, or in the repo when running the built dist/. */
function assetDir(): string {
  const candidates = [path.join(__dirname, 'public'), path.resolve(__dirname, '../../../server/console/public')];
  const found = candidates.find((d) => existsSync(path.join(d, 'index.html')));
  if (!found) throw new Error(`the console's files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Only this server's own files, no inline script, no framing, no referrer leaking tenant ids. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The console: files shipped in the repo, read once, answered from memory (with ETags) under /console/. */
export function consoleAssets(): { serve(req: http.IncomingMessage, res: http.ServerResponse): boolean } {
  const dir = assetDir();
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return {
    serve(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (pathname === '/' || pathname === '/console') {
        res.writeHead(302, { location: '/console/', 'cache-control': 'no-store' }).end();
        return true;
      }
      if (!pathname.startsWith('/console/')) return false;
      const name = pathname.slice('/console/'.length) || 'index.html';
      const asset = assets.get(name);
      if (!asset) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('not found');
        return true;
      }
      const headers = {
        'content-type': asset.type,
        etag: asset.etag,
        'cache-control': 'no-cache',
        ...SECURITY_HEADERS,
      };
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, headers).end();
        return true;
      }
      res.writeHead(200, { ...headers, 'content-length': asset.body.length });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return true;
    },
  };
}
