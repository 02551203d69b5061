import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../workers/config';
import { SEARCH_ATTRIBUTES } from '../../workers/searchAttributes';
import { TEMPORAL_CLI_VERSION } from '../../workers/temporalCli';

// No Docker engine runs here, so the deployment file is checked against the code instead of being started.
const root = path.join(__dirname, '..', '..');
const composeText = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
// Compose resolves YAML merge keys (`<<: *anchor`); so does this parse.
const compose = parse(composeText, { merge: true }) as {
  secrets: Record<string, { file: string }>;
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      environment?: Record<string, string>;
      ports?: string[];
      depends_on?: string[] | Record<string, unknown>;
      command?: string[] | string;
      entrypoint?: string[] | string;
      secrets?: string[];
    }
  >;
};
const services = compose.services;

function env(service: string): Record<string, string> {
  return services[service].environment ?? {};
}

test('it names PostgreSQL, Temporal on PostgreSQL, Temporal Web and the qbsync worker', () => {
  expect(Object.keys(services).sort()).toEqual([
    'postgresql',
    'qbsync',
    'qbsync-migrate',
    'temporal',
    'temporal-setup',
    'temporal-ui',
  ]);
  expect(services.postgresql.image).toMatch(/^postgres:15/);
  expect(env('temporal').DB).toBe('postgres12');
  expect(env('temporal').POSTGRES_SEEDS).toBe('postgresql');
  expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
  expect(services.qbsync.build).toBe('.');
  expect(services.qbsync.command).toEqual(['worker']);
  expect(services['qbsync-migrate'].command).toEqual(['migrate']);
});

test('Temporal images match the server version of the pinned CLI', () => {
  // CLI 1.5.1 embeds Temporal server 1.29.1.
  expect(TEMPORAL_CLI_VERSION).toBe('1.5.1');
  expect(services.temporal.image).toBe('temporalio/auto-setup:1.29.1');
  expect(services['temporal-setup'].image).toBe('temporalio/admin-tools:1.29.1');
});

test('every variable given to qbsync is one the code reads, and the values pass its validation', () => {
  const known = new Set(Object.keys(configSchema.shape));
  for (const service of ['qbsync', 'qbsync-migrate']) {
    for (const name of Object.keys(env(service)))
      expect(known.has(name) ? name : `${service}: unknown ${name}`).toBe(name);
  }
  const resolved = Object.fromEntries(
    Object.entries(env('qbsync')).map(([k, v]) => [
      k,
      String(v)
        .replace(/\$\{[A-Z_]+:-([^}]*)\}/, '$1')
        .replace(/\$\{[A-Z_]+\}/, ''),
    ]),
  );
  resolved.QBO_ENV = 'sandbox';
  // The secrets are files in the container: here, files made by scripts/certs.sh stand in for them.
  const dir = makeSecrets();
  for (const [k, v] of Object.entries(resolved))
    if (v.startsWith('/run/secrets/')) resolved[k] = path.join(dir, compose.secrets[v.slice(13)].file.slice(10));
  const config = loadConfig(resolved, '/nonexistent');
  expect(new URL(config.DATABASE_URL).password).toBe(
    fs.readFileSync(path.join(dir, 'postgres_password'), 'utf8').trim(),
  );
  expect(config.QBSYNC_ENCRYPTION_KEY).toBe(fs.readFileSync(path.join(dir, 'encryption_key'), 'utf8').trim());
});

let secretsDir: string | undefined;
/** What scripts/certs.sh makes, plus the operator's Intuit client secret. */
function makeSecrets(): string {
  if (secretsDir) return secretsDir;
  secretsDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-secrets-')), 'secrets');
  execFileSync('bash', [path.join(root, 'scripts', 'certs.sh'), secretsDir], { stdio: 'pipe' });
  fs.writeFileSync(path.join(secretsDir, 'qbo_client_secret'), 'operator-provided\n', { mode: 0o600 });
  return secretsDir;
}

test('addresses point at the services that serve them', () => {
  const pg = env('postgresql');
  for (const service of ['qbsync', 'qbsync-migrate']) {
    const url = new URL(env(service).DATABASE_URL);
    expect(url.hostname).toBe('postgresql');
    expect(url.port).toBe('5432');
    expect(url.username).toBe(pg.POSTGRES_USER);
    expect(url.password).toBe('');
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(env(service).DATABASE_PASSWORD_FILE).toBe(pg.POSTGRES_PASSWORD_FILE);
  }
  expect(env('temporal').POSTGRES_USER).toBe(pg.POSTGRES_USER);
  expect(([] as string[]).concat(services.temporal.entrypoint ?? []).join(' ')).toContain(
    'POSTGRES_PWD="$$(cat /run/secrets/postgres_password)"', // $$: compose's escape of $
  );
  expect(env('qbsync').TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(env('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(env('temporal-setup').TEMPORAL_ADDRESS).toBe('temporal:7233');
});

test('search attributes registered by the setup service are exactly the ones the code uses', () => {
  const command = ([] as string[]).concat(services['temporal-setup'].command ?? []).join(' ');
  const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => [m[1], m[2]]);
  expect(Object.fromEntries(registered)).toEqual(SEARCH_ATTRIBUTES);
});

test('dependencies name existing services and published ports do not collide', () => {
  const names = new Set(Object.keys(services));
  const hostPorts: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dep of deps) expect(names.has(dep) ? dep : `${name} depends on missing ${dep}`).toBe(dep);
    for (const port of service.ports ?? []) hostPorts.push(port.split(':').slice(0, -1).join(':'));
  }
  expect(new Set(hostPorts).size).toBe(hostPorts.length);
});

test('the Dockerfile builds the worker the compose file runs', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/FROM node:20/);
  // Installed as CI installs (npm ci refuses locks made on single-platform registries), without the Temporal CLI.
  expect(dockerfile).toContain('RUN QBSYNC_NO_TEMPORAL_CLI=1 node scripts/ensure.mjs');
  expect(dockerfile).not.toMatch(/RUN npm ci\b/);
  expect(dockerfile).toContain('npm run build');
  expect(dockerfile).toContain('ENTRYPOINT ["node", "bin/qbsync.js"]');
  expect(fs.existsSync(path.join(root, 'bin', 'qbsync.js'))).toBe(true);
});

test('nothing is published beyond loopback', () => {
  for (const [name, service] of Object.entries(services))
    for (const port of service.ports ?? [])
      expect(`${name} ${port}`).toMatch(new RegExp(`^${name} 127\\.0\\.0\\.1:\\d+:\\d+$`));
  expect(services.postgresql.ports).toBeUndefined();
});

test('no password, key or secret is written in the compose file: they come from secret files', () => {
  for (const [name, service] of Object.entries(services))
    for (const [k, v] of Object.entries(service.environment ?? {})) {
      if (/PASSWORD|PWD|SECRET|_KEY$|ENCRYPTION_KEY/.test(k))
        expect(`${name} ${k}=${v}`).toMatch(/(_FILE|_KEY)=\/run\/secrets\/\w+$/);
      if (/^postgres(ql)?:/.test(String(v))) expect(new URL(String(v)).password).toBe('');
    }
  expect(composeText).not.toMatch(/POSTGRES_PASSWORD:\s*\S+\s*$/m);
  expect(composeText).not.toMatch(/postgres:\/\/[^@\s/]+:[^@\s/]+@/);
  // Every secret a service mounts is declared, is a file certs.sh makes (or the operator's Intuit secret), and is used.
  const made = new Set(fs.readdirSync(makeSecrets()));
  for (const [name, secret] of Object.entries(compose.secrets)) {
    expect(secret.file).toMatch(/^\.\/secrets\//);
    expect(made.has(secret.file.slice(10)) ? name : `${name}: ${secret.file} is not made by scripts/certs.sh`).toBe(
      name,
    );
  }
  for (const service of Object.values(services)) {
    const text = JSON.stringify([service.environment, service.entrypoint, service.command]);
    for (const used of text.matchAll(/\/run\/secrets\/(\w+)/g)) expect(service.secrets ?? []).toContain(used[1]);
    for (const mounted of service.secrets ?? []) expect(Object.keys(compose.secrets)).toContain(mounted);
  }
  const modes = fs.readdirSync(makeSecrets()).filter((f) => /\.key$|password|encryption_key/.test(f));
  for (const f of modes) expect(fs.statSync(path.join(makeSecrets(), f)).mode & 0o077).toBe(0);
});

test('Temporal requires mTLS, and every client of it presents a certificate and checks the server name', () => {
  const t = env('temporal');
  expect(t.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH).toBe('true');
  expect(t.TEMPORAL_TLS_CLIENT1_CA_CERT).toBe('/run/secrets/temporal_ca');
  expect(t.TEMPORAL_TLS_FRONTEND_CERT).toBeDefined();
  for (const service of ['qbsync', 'temporal-ui']) {
    expect(env(service).TEMPORAL_TLS_CERT).toBe('/run/secrets/temporal_client_cert');
    expect(env(service).TEMPORAL_TLS_KEY).toBe('/run/secrets/temporal_client_key');
    expect(env(service).TEMPORAL_TLS_CA).toBe('/run/secrets/temporal_ca');
    expect(env(service).TEMPORAL_TLS_SERVER_NAME).toBe('temporal');
  }
  const setup = ([] as string[]).concat(services['temporal-setup'].command ?? []).join(' ');
  expect(setup).toContain('--tls-cert-path /run/secrets/temporal_client_cert');
  expect(setup.match(/\$\$tls/g)?.length).toBe(4);
  // The server certificate certs.sh makes names the host the clients dial.
  const san = execFileSync(
    'openssl',
    ['x509', '-in', path.join(makeSecrets(), 'server.pem'), '-noout', '-ext', 'subjectAltName'],
    {
      encoding: 'utf8',
    },
  );
  expect(san).toContain('DNS:temporal');
});
