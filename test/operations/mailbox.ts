import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { until } from '../helpers/until';

/** One message as an in-process SMTP server received it, minimally parsed (headers, text and HTML parts). */
export interface ReceivedMail {
  raw: string;
  from: string;
  to: string[];
  headers: Record<string, string>;
  messageId: string;
  subject: string;
  text: string;
  html: string;
}

/** The server's final answer to a message it received in full: 250, an SMTP error, or no answer (connection cut). */
export type Answer = 'accept' | 'drop' | { code: number; message: string };

export interface Mailbox {
  url: string;
  /** Every message received in full, answered or not (a server may deliver what it never confirmed). */
  messages: ReceivedMail[];
  /** Resolves once `count` messages have arrived; rejects after `ms`. */
  waitFor(count: number, ms?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server on a free port; `answer` decides, per message, the reply (and may hold it, e.g. across a kill). */
export async function startMailbox(
  options: { answer?: (mail: ReceivedMail) => Answer | Promise<Answer>; rejectRecipients?: RegExp } = {},
): Promise<Mailbox> {
  const messages: ReceivedMail[] = [];
  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.test(address.address))
        return callback(Object.assign(new Error(`mailbox ${address.address} does not exist`), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = parseMail(Buffer.concat(chunks).toString('utf8'), session.envelope);
        messages.push(mail);
        void Promise.resolve(options.answer ? options.answer(mail) : 'accept').then((answer) => {
          if (answer === 'accept') return callback();
          if (answer === 'drop') {
            for (const c of (server as unknown as { connections: Set<{ id: string; _socket: net.Socket }> })
              .connections)
              if (c.id === session.id) c._socket.destroy();
            return;
          }
          callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
        });
      });
    },
  });
  server.on('error', () => undefined);
  const port = await listen(server.server);
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor: (count, ms = 30_000) =>
      untilDefined(
        `${count} messages (have ${messages.length})`,
        () => (messages.length >= count ? messages : undefined),
        ms,
      ),
    close: () => closeServer(server.server),
  };
}

/** An SMTP URL whose server is broken: `refuse` (nothing listens) or `hangup` (accepts, then closes at once). */
export async function startBrokenSmtp(kind: 'refuse' | 'hangup'): Promise<{ url: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  const port = await listen(server);
  if (kind === 'refuse') await closeServer(server);
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => (kind === 'refuse' ? Promise.resolve() : closeServer(server)),
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/** Waits until `read` gives a value (the shared `until`, with "defined" as the condition). */
export async function untilDefined<T>(
  what: string,
  read: () => T | undefined | Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  return (await until(what, read, (value) => value !== undefined, { ms, everyMs: 25 })) as T;
}

// --- a minimal MIME reader: enough for nodemailer's multipart/alternative with quoted-printable or base64 parts ---

function splitHead(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_m, _charset: string, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQp(text.replace(/_/g, ' ')),
  );
}

function decodeQp(text: string): string {
  const bytes: number[] = [];
  const s = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(headers: Record<string, string>, body: string): string {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQp(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

function parts(headers: Record<string, string>, body: string): Array<{ type: string; content: string }> {
  const type = (headers['content-type'] ?? 'text/plain').toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (!type.startsWith('multipart/') || !boundary)
    return [{ type: type.split(';')[0].trim(), content: decodeBody(headers, body) }];
  return body
    .split(`--${boundary}`)
    .slice(1)
    .filter((p) => !p.startsWith('--'))
    .flatMap((p) => {
      const part = splitHead(p.replace(/^\r?\n/, ''));
      return parts(part.headers, part.body.replace(/\r?\n$/, ''));
    });
}

export function parseMail(
  raw: string,
  envelope?: { mailFrom: false | { address: string }; rcptTo: Array<{ address: string }> },
): ReceivedMail {
  const { headers, body } = splitHead(raw);
  const all = parts(headers, body);
  return {
    raw,
    from: envelope?.mailFrom ? envelope.mailFrom.address : '',
    to: envelope?.rcptTo.map((r) => r.address) ?? [],
    headers,
    messageId: headers['message-id'] ?? '',
    subject: decodeWords(headers.subject ?? ''),
    text: all.find((p) => p.type === 'text/plain')?.content ?? '',
    html: all.find((p) => p.type === 'text/html')?.content ?? '',
  };
}
