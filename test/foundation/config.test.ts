import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../workers/config';

const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-config-'));

test('defaults need no environment at all', () => {
  const config = loadConfig({}, emptyDir);
  expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/qbsync');
  expect(config.databaseUrlExplicit).toBe(false);
  expect(config.TEMPORAL_ADDRESS).toBeUndefined();
  expect(config.TEMPORAL_TASK_QUEUE).toBe('qbsync');
  expect(config.QBO_ENV).toBe('emulator');
  expect(config.dataDir).toBe(path.join(emptyDir, '.data'));
  // The worker's sticky cache keeps the SDK's default unless sized.
  expect(config.QBSYNC_MAX_CACHED_WORKFLOWS).toBeUndefined();
  expect(loadConfig({ QBSYNC_MAX_CACHED_WORKFLOWS: '500' }, emptyDir).QBSYNC_MAX_CACHED_WORKFLOWS).toBe(500);
});

test.each([
  [
    'DATABASE_URL',
    'nonsense',
    'DATABASE_URL is invalid: expected a PostgreSQL URL such as postgres://user@host:5432/dbname',
  ],
  ['DATABASE_URL', 'mysql://localhost/x', 'DATABASE_URL is invalid: expected a PostgreSQL URL'],
  ['TEMPORAL_ADDRESS', 'localhost', 'TEMPORAL_ADDRESS is invalid: expected host:port, such as 127.0.0.1:7233'],
  ['QBO_ENV', 'staging', 'QBO_ENV is invalid: expected one of emulator, sandbox, production'],
  ['EMULATOR_PORT', '70000', 'EMULATOR_PORT is invalid: expected a port number from 0 to 65535'],
  ['LOG_LEVEL', 'loud', 'LOG_LEVEL is invalid: expected one of'],
  ['QBSYNC_MAX_CACHED_WORKFLOWS', '1', 'QBSYNC_MAX_CACHED_WORKFLOWS is invalid: expected a whole number of workflows'],
  ['QBSYNC_MAX_CACHED_WORKFLOWS', 'lots', 'QBSYNC_MAX_CACHED_WORKFLOWS is invalid: expected'],
])('%s=%s stops with one line naming the variable', (name, value, expected) => {
  let error: unknown;
  try {
    loadConfig({ [name]: value }, emptyDir);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  expect(message.startsWith(expected)).toBe(true);
  expect(message).not.toContain('\n');
});

test('.env is read, and the real environment wins over it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-dotenv-'));
  fs.writeFileSync(path.join(dir, '.env'), 'TEMPORAL_TASK_QUEUE=from-file\nTEMPORAL_NAMESPACE=file-ns\n');
  const config = loadConfig({ TEMPORAL_NAMESPACE: 'env-ns' }, dir);
  expect(config.TEMPORAL_TASK_QUEUE).toBe('from-file');
  expect(config.TEMPORAL_NAMESPACE).toBe('env-ns');
});
