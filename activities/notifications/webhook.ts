import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { checkWebhookUrl, guardedLookup, hostAllowed, WebhookPolicyError } from './webhookPolicy';

export const SIGNATURE_HEADER = 'X-Qbsync-Signature';
export const DELIVERY_HEADER = 'X-Qbsync-Delivery';
export const EVENT_HEADER = 'X-Qbsync-Event';

const TIMEOUT_MS = 10_000;

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`; a receiver recomputes it over the raw body it read. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export class WebhookError extends Error {
  override name = 'WebhookError';
}

/**
 * POSTs `body` (JSON text, sent byte for byte as signed) under the operator's webhook policy (webhookPolicy.ts): https
 * to public addresses, http or private addresses only to allowed hosts. The delivery id is the same on every retry of
 * one notice, so a receiver can drop a repeat. Any non-2xx answer, a redirect, a refused target or no answer within
 * the timeout is a WebhookError; its message never contains the secret.
 */
export async function postWebhook(
  target: string,
  body: string,
  options: { secret: string; deliveryId: string; event: string; allowHosts?: string[] },
): Promise<{ status: number }> {
  const allowHosts = options.allowHosts ?? [];
  let url: URL;
  try {
    url = checkWebhookUrl(target, allowHosts);
  } catch (error) {
    throw new WebhookError(`webhook POST to ${redact(target)} refused: ${(error as Error).message}`);
  }
  const payload = Buffer.from(body, 'utf8');
  const status = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        timeout: TIMEOUT_MS,
        // Resolved names are checked where the socket connects, unless the operator allows the host.
        ...(hostAllowed(url, allowHosts) ? {} : { lookup: guardedLookup(url.hostname) as never }),
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(payload.length),
          'user-agent': 'qbsync-webhook',
          [SIGNATURE_HEADER]: signature(body, options.secret),
          [DELIVERY_HEADER]: options.deliveryId,
          [EVENT_HEADER]: options.event,
        },
      },
      (response) => {
        response.resume();
        resolve({ code: response.statusCode ?? 0, text: response.statusMessage ?? '' });
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    request.on('error', reject);
    request.end(payload);
  }).catch((error: Error & { code?: string }) => {
    const reason =
      error.name === 'TimeoutError'
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : error instanceof WebhookPolicyError
          ? `refused: ${error.message}`
          : (error.code ?? error.message);
    throw new WebhookError(`webhook POST to ${redact(target)} failed: ${reason}`);
  });
  if (status.code < 200 || status.code >= 300)
    throw new WebhookError(`webhook POST to ${redact(target)} was answered ${status.code} ${status.text}`.trim());
  return { status: status.code };
}

/** The URL without credentials or query (either may carry a token). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
