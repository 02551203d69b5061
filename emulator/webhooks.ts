import { createHmac } from 'node:crypto';

export interface WebhookTarget {
  url: string;
  verifierToken: string;
}

interface ChangeEvent {
  id: string;
  operation: string;
  name: string;
  lastUpdated: string;
}

const FLUSH_DELAY_MS = 100;

/** Intuit's webhook signature: base64 of HMAC-SHA256 over the raw body, keyed with the app's verifier token. */
export function signWebhookBody(rawBody: string, verifierToken: string): string {
  return createHmac('sha256', verifierToken).update(rawBody, 'utf8').digest('base64');
}

/** Collects changes per realm and POSTs them as legacy `eventNotifications`, about every 100 ms, best effort (no retries). */
export class WebhookDispatcher {
  private readonly targets = new Map<string, WebhookTarget>();
  private pending = new Map<string, ChangeEvent[]>();
  private timer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();

  set(realmId: string, target: WebhookTarget): void {
    this.targets.set(realmId, target);
  }

  clear(): void {
    this.targets.clear();
    this.pending.clear();
  }

  record(realmId: string, entity: string, id: string, operation: string, at: number): void {
    if (!this.targets.has(realmId)) return;
    const list = this.pending.get(realmId) ?? [];
    list.push({ id, operation, name: entity, lastUpdated: new Date(at).toISOString() });
    this.pending.set(realmId, list);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = this.pending;
    this.pending = new Map();
    const posts = [...batches].map(([realmId, entities]) => this.post(realmId, entities));
    await Promise.all([...posts, ...this.inFlight]);
  }

  private post(realmId: string, entities: ChangeEvent[]): Promise<void> {
    const target = this.targets.get(realmId);
    if (!target) return Promise.resolve();
    const body = JSON.stringify({ eventNotifications: [{ realmId, dataChangeEvent: { entities } }] });
    const headers = {
      'content-type': 'application/json',
      'intuit-signature': signWebhookBody(body, target.verifierToken),
    };
    const sent = fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(3000) })
      .then((r) => r.body?.cancel())
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
    return sent;
  }

  /** Stops the timer and waits for posts under way (at close). */
  async close(): Promise<void> {
    await this.flush();
  }
}
