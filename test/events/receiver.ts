import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyEvent } from '../../activities/events/signing';

export interface Received {
  id: string;
  type: string;
  subject: string;
  body: Record<string, unknown>;
}

/**
 * A receiving app for tests. `behaviour(attempt)` says what the n-th request for one webhook-id meets: an error
 * status, a dropped connection, a slow answer, a hang (never answered), or success. Accepted events are kept once per
 * id, in arrival order, and only when their signature verifies.
 */
export async function startReceiver(
  secret: () => string,
  behaviour: (attempt: number, id: string) => 'fail' | 'drop' | 'slow' | 'hang' | 'ok',
): Promise<{
  url: string;
  accepted: Received[];
  attempts: Map<string, number>;
  badSignatures: number;
  close(): Promise<void>;
}> {
  const accepted: Received[] = [];
  const seen = new Set<string>();
  const attempts = new Map<string, number>();
  const state = { badSignatures: 0 };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      if (!verifyEvent(secret(), req.headers as Record<string, string>, raw)) {
        state.badSignatures++;
        res.writeHead(401).end();
        return;
      }
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      const act = behaviour(n, id);
      const accept = () => {
        if (!seen.has(id)) {
          seen.add(id);
          const body = JSON.parse(raw) as Record<string, unknown> & { type: string; data: Record<string, unknown> };
          accepted.push({ id, type: body.type, subject: subjectOf(body), body });
        }
        res.writeHead(204).end();
      };
      if (act === 'fail') res.writeHead(503).end('try later');
      else if (act === 'drop') req.socket.destroy();
      else if (act === 'hang') return;
      else if (act === 'slow') setTimeout(accept, 300);
      else accept();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/qbsync`,
    accepted,
    attempts,
    get badSignatures() {
      return state.badSignatures;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function subjectOf(body: { type: string; data: Record<string, unknown> }): string {
  const d = body.data as Record<string, { id?: unknown; entity?: string; app_id?: unknown; tenant_id?: string }>;
  if (d.invoice) return `invoice:${String(d.invoice.id)}`;
  if (d.sale) return `sale:${String(d.sale.id)}`;
  if (d.problem) return `${d.problem.entity}:${String(d.problem.app_id)}`;
  if (d.run) return 'sync';
  return 'connection';
}
