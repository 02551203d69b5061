import { Writable } from 'node:stream';
import { createLogger } from '../../workers/logger';

test('secrets are redacted wherever they sit in a log object', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('info', sink);
  logger.info(
    {
      accessToken: 'at-secret-1',
      connection: { refresh_token: 'rt-secret-2' },
      request: { headers: { authorization: 'Bearer at-secret-3' } },
      taskToken: 'tt-4',
    },
    'refreshed',
  );
  const out = lines.join('');
  for (const secret of ['at-secret-1', 'rt-secret-2', 'at-secret-3', 'tt-4']) expect(out).not.toContain(secret);
  expect(out).toContain('[redacted]');
  expect(out).toContain('refreshed');
});
