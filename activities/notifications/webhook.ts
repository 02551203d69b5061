import { createHmac } from 'node:crypto';

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
 * POSTs `body` (JSON text, sent byte for byte as signed) with the given headers. Any non-2xx answer, a redirect or no
 * answer within the timeout is a WebhookError; its message names the URL without credentials or query, never a secret.
 */
export async function postSigned(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = TIMEOUT_MS,
): Promise<{ status: number }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'qbsync-webhook', ...headers },
      body,
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === 'TimeoutError'
        ? `no answer within ${timeoutMs / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new WebhookError(`webhook POST to ${redactUrl(url)} failed: ${reason}`);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status >= 300)
    throw new WebhookError(
      `webhook POST to ${redactUrl(url)} was answered ${response.status} ${response.statusText}`.trim(),
      response.status,
    );
  return { status: response.status };
}

/**
 * POSTs a notice. The delivery id is the same on every retry of one notice, so a receiver can drop a repeat.
 */
export async function postWebhook(
  url: string,
  body: string,
  options: { secret: string; deliveryId: string; event: string },
): Promise<{ status: number }> {
  return postSigned(url, body, {
    [SIGNATURE_HEADER]: signature(body, options.secret),
    [DELIVERY_HEADER]: options.deliveryId,
    [EVENT_HEADER]: options.event,
  });
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
