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

/** A POST that was not answered 2xx: `status` is the HTTP status when there was an answer. */
export class WebhookError extends Error {
  override name = 'WebhookError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * POSTs `body` (JSON text, sent byte for byte as signed) with the given headers, under the operator's webhook policy
 * (webhookPolicy.ts): https to public addresses, http or private addresses only to allowed hosts — for tenants' notice
 * webhooks and the app's event endpoints alike. Any non-2xx answer, a redirect, a refused target or no answer within
 * the timeout is a WebhookError; its message names the URL without credentials or query, never a secret.
 */
export async function postSigned(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs?: number; allowHosts?: string[] } = {},
): Promise<{ status: number }> {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const allowHosts = options.allowHosts ?? [];
  let url: URL;
  try {
    url = checkWebhookUrl(target, allowHosts);
  } catch (error) {
    throw new WebhookError(`webhook POST to ${redactUrl(target)} refused: ${(error as Error).message}`);
  }
  const payload = Buffer.from(body, 'utf8');
  const status = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        timeout: timeoutMs,
        // Resolved names are checked where the socket connects, unless the operator allows the host.
        ...(hostAllowed(url, allowHosts) ? {} : { lookup: guardedLookup(url.hostname) as never }),
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(payload.length),
          'user-agent': 'qbsync-webhook',
          ...headers,
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
        ? `no answer within ${timeoutMs / 1000} s`
        : error instanceof WebhookPolicyError
          ? `refused: ${error.message}`
          : (error.code ?? error.message);
    throw new WebhookError(`webhook POST to ${redactUrl(target)} failed: ${reason}`);
  });
  if (status.code < 200 || status.code >= 300)
    throw new WebhookError(
      `webhook POST to ${redactUrl(target)} was answered ${status.code} ${status.text}`.trim(),
      status.code,
    );
  return { status: status.code };
}

/** POSTs a notice. The delivery id is the same on every retry of one notice, so a receiver can drop a repeat. */
export async function postWebhook(
  target: string,
  body: string,
  options: { secret: string; deliveryId: string; event: string; allowHosts?: string[] },
): Promise<{ status: number }> {
  const headers = {
    [SIGNATURE_HEADER]: signature(body, options.secret),
    [DELIVERY_HEADER]: options.deliveryId,
    [EVENT_HEADER]: options.event,
  };
  return postSigned(target, body, headers, { allowHosts: options.allowHosts });
}

/** The URL without credentials or query (either may carry a token). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
