import { TenantError } from '../activities/connection/tenants';

/** Reads a password without echoing it (a terminal), or the first line of stdin (`--stdin`, scripts). */
export async function readPassword(fromStdin = false): Promise<string> {
  const input = process.stdin;
  if (fromStdin || !input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(chunk as Buffer);
    const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (!password) throw new TenantError('no password on stdin');
    return password;
  }
  const ask = async (prompt: string): Promise<string> => {
    process.stderr.write(prompt);
    input.setRawMode(true);
    input.resume();
    try {
      return await new Promise<string>((resolve, reject) => {
        let typed = '';
        const onData = (data: Buffer) => {
          for (const ch of data.toString('utf8')) {
            if (ch === '\r' || ch === '\n') {
              input.off('data', onData);
              process.stderr.write('\n');
              resolve(typed);
              return;
            }
            if (ch === '\u0003') {
              input.off('data', onData);
              process.stderr.write('\n');
              reject(new TenantError('cancelled'));
              return;
            }
            if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
            else typed += ch;
          }
        };
        input.on('data', onData);
      });
    } finally {
      input.setRawMode(false);
      input.pause();
    }
  };
  const first = await ask('Web Connector password (at least 8 characters): ');
  const again = await ask('again: ');
  if (first !== again) throw new TenantError('the two passwords differ');
  return first;
}
