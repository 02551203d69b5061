import dns from 'node:dns';
import net from 'node:net';

export class WebhookPolicyError extends Error {
  override name = 'WebhookPolicyError';
}

/** Where a tenant's webhook may not go unless the operator allows the host: loopback, private, link-local, etc. */
const BLOCKED = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  BLOCKED.addSubnet(prefix, bits, 'ipv6');

/** Whether an address is one a webhook may reach without the operator's say: a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  // IPv4-mapped in hex, as URL parsing writes it (::ffff:c0a8:101 is 192.168.1.1).
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return isPublicAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const family = net.isIP(address);
  if (family === 0) return false;
  return !BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `QBSYNC_WEBHOOK_ALLOW_HOSTS`: comma-separated host names or addresses, compared case-insensitively. */
export function parseAllowHosts(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, ''),
    )
    .filter(Boolean);
}

const hostOf = (url: URL) => url.hostname.toLowerCase().replace(/^\[|\]$/g, '');

/**
 * A webhook URL as a tenant may set it: https (http only to a host the operator allows), no credentials in it, and
 * not an address literal of a private range unless allowed. Names are checked again when resolved (guardedLookup).
 */
export function checkWebhookUrl(value: string, allowHosts: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookPolicyError(`the webhook URL "${value}" is not a URL: expected https://host/path`);
  }
  const host = hostOf(url);
  const allowed = allowHosts.includes(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowed))
    throw new WebhookPolicyError(
      url.protocol === 'http:'
        ? `the webhook URL must be https: http is allowed only to hosts the operator lists in QBSYNC_WEBHOOK_ALLOW_HOSTS (${host} is not)`
        : `the webhook URL must be https, not ${url.protocol.replace(/:$/, '')}`,
    );
  if (url.username || url.password)
    throw new WebhookPolicyError('the webhook URL must not carry credentials: the posts are signed instead');
  if (!allowed && net.isIP(host) && !isPublicAddress(host))
    throw new WebhookPolicyError(
      `the webhook URL points at ${host}, a loopback, private or link-local address: allowed only for hosts the operator lists in QBSYNC_WEBHOOK_ALLOW_HOSTS`,
    );
  return url;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * dns.lookup for the webhook's connection: every address the name resolves to must be public, and the connection uses
 * what was checked (no second resolution an attacker's DNS could answer differently).
 */
export function guardedLookup(host: string) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const list = addresses as dns.LookupAddress[];
      const blocked = list.find((a) => !isPublicAddress(a.address));
      if (blocked || list.length === 0)
        return callback(
          Object.assign(
            new WebhookPolicyError(
              `the webhook host ${host} resolves to ${blocked?.address ?? 'nothing'}, a loopback, private or link-local address: allowed only for hosts the operator lists in QBSYNC_WEBHOOK_ALLOW_HOSTS`,
            ),
            { code: 'QBSYNC_WEBHOOK_ADDRESS' },
          ),
          '',
        );
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** Whether the host of a checked URL is on the operator's list (then any address and http are fine). */
export function hostAllowed(url: URL, allowHosts: string[]): boolean {
  return allowHosts.includes(hostOf(url));
}
