import { createHmac } from 'node:crypto';

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
 * POSTs `body` (JSON text, sent byte for byte as signed). The delivery id is the same on every retry of one notice,
 * so a receiver can drop a repeat. Any non-2xx answer, a redirect or no answer within the timeout is a WebhookError;
 * its message never contains the secret.
 */
export async function postWebhook(
  url: string,
  body: string,
  options: { secret: string; deliveryId: string; event: string },
): Promise<{ status: number }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'qbsync-webhook',
        [SIGNATURE_HEADER]: signature(body, options.secret),
        [DELIVERY_HEADER]: options.deliveryId,
        [EVENT_HEADER]: options.event,
      },
      body,
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === 'TimeoutError'
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new WebhookError(`webhook POST to ${redact(url)} failed: ${reason}`);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status >= 300)
    throw new WebhookError(
      `webhook POST to ${redact(url)} was answered ${response.status} ${response.statusText}`.trim(),
    );
  return { status: response.status };
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
