import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../workers/config';
import { SEARCH_ATTRIBUTES } from '../../workers/searchAttributes';
import { TEMPORAL_CLI_VERSION } from '../../workers/temporalCli';

// No Docker engine runs here, so the deployment file is checked against the code instead of being started.
const root = path.join(__dirname, '..', '..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      environment?: Record<string, string>;
      ports?: string[];
      depends_on?: string[] | Record<string, unknown>;
      command?: string[] | string;
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
  expect(() => loadConfig(resolved, '/nonexistent')).not.toThrow();
});

test('addresses point at the services that serve them', () => {
  const pg = env('postgresql');
  for (const service of ['qbsync', 'qbsync-migrate']) {
    const url = new URL(env(service).DATABASE_URL);
    expect(url.hostname).toBe('postgresql');
    expect(url.port).toBe('5432');
    expect(url.username).toBe(pg.POSTGRES_USER);
    expect(url.password).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
  }
  expect(env('temporal').POSTGRES_USER).toBe(pg.POSTGRES_USER);
  expect(env('temporal').POSTGRES_PWD).toBe(pg.POSTGRES_PASSWORD);
  expect(services.temporal.ports).toContain('7233:7233');
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
    for (const port of service.ports ?? []) hostPorts.push(port.split(':')[0]);
  }
  expect(new Set(hostPorts).size).toBe(hostPorts.length);
});

test('the Dockerfile builds the worker the compose file runs', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/FROM node:20/);
  expect(dockerfile).toContain('npm ci');
  expect(dockerfile).toContain('npm run build');
  expect(dockerfile).toContain('ENTRYPOINT ["node", "bin/qbsync.js"]');
  expect(fs.existsSync(path.join(root, 'bin', 'qbsync.js'))).toBe(true);
});
