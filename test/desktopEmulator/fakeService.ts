import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One SOAP call as it reached the integration's web service. */
export interface ReceivedCall {
  operation: string;
  soapAction: string | undefined;
  contentType: string | undefined;
  body: string;
  args: Record<string, string>;
}

export type Script = (
  operation: string,
  args: Record<string, string>,
  calls: ReceivedCall[],
) => string | string[] | number;

const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
const encode = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A stand-in for the integration's QBWC web service, written independently of the emulator's SOAP code: it reads
 * requests with regular expressions and answers with literal SOAP 1.1 envelopes, as a .NET or PHP service would.
 */
export async function startFakeService(
  script: Script,
): Promise<{ url: string; calls: ReceivedCall[]; close(): Promise<void> }> {
  const calls: ReceivedCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const op = /<soap:Body><(\w+) xmlns="http:\/\/developer\.intuit\.com\/"/.exec(body)?.[1] ?? '?';
      const inner = new RegExp(`<${op} xmlns="http://developer.intuit.com/">([\\s\\S]*)</${op}>`).exec(body)?.[1] ?? '';
      const args: Record<string, string> = {};
      for (const m of inner.matchAll(/<(\w+)>([\s\S]*?)<\/\1>/g)) args[m[1]] = decode(m[2]);
      const call: ReceivedCall = {
        operation: op,
        soapAction: req.headers.soapaction as string | undefined,
        contentType: req.headers['content-type'],
        body,
        args,
      };
      calls.push(call);
      const answer = script(op, args, calls);
      const result = Array.isArray(answer)
        ? `<${op}Result>${answer.map((s) => `<string>${encode(s)}</string>`).join('')}</${op}Result>`
        : `<${op}Result>${encode(String(answer))}</${op}Result>`;
      const xml =
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">' +
        `<soap:Body><${op}Response xmlns="http://developer.intuit.com/">${result}</${op}Response></soap:Body></soap:Envelope>`;
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      res.end(xml);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/qbwc`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A service that answers the usual way and hands out the given qbXML documents one per sendRequestXML. */
export function standardScript(
  documents: string[],
  overrides: Partial<
    Record<string, (args: Record<string, string>, calls: ReceivedCall[]) => string | string[] | number>
  > = {},
): Script {
  let next = 0;
  return (op, args, calls) => {
    const override = overrides[op];
    if (override) return override(args, calls);
    switch (op) {
      case 'serverVersion':
        return '1.0.0';
      case 'clientVersion':
        return '';
      case 'authenticate':
        return ['ticket-1', ''];
      case 'sendRequestXML':
        return documents[next++] ?? '';
      case 'receiveResponseXML':
        return next >= documents.length ? 100 : Math.floor((next * 100) / documents.length);
      case 'getLastError':
        return 'Nothing more to do';
      case 'connectionError':
        return 'done';
      case 'closeConnection':
        return 'Sync complete';
      default:
        return '';
    }
  };
}
