// Dependency audit for CI: `npm audit` where the registry offers it; where it does not (this registry answers the
// advisories endpoint with 405), a review of the lock file that needs no network at all.
//   node scripts/audit.mjs [--lock FILE] [--package FILE] [--no-audit]
// Review: direct dependencies pinned to exact versions; every locked package a registry version (no git, file,
// link or tarball URL), from the npm registry when a `resolved` is recorded, with a sha512 integrity; the root of the
// lock agrees with package.json; packages running install scripts are exactly the reviewed ones below.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const lockFile = arg('--lock', path.join(root, 'package-lock.json'));
const packageFile = arg('--package', path.join(root, 'package.json'));
const log = (line) => console.log(`[audit] ${line}`);

/** Packages whose install scripts were reviewed: native binaries (swc, esbuild, parcel's watcher) and protobufjs' postinstall. */
const REVIEWED_INSTALL_SCRIPTS = ['@parcel/watcher', '@swc/core', 'esbuild', 'protobufjs'];
const REGISTRY = 'https://registry.npmjs.org/';
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

function review(lock, pkg) {
  const problems = [];
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'])
    for (const [name, spec] of Object.entries(pkg[field] ?? {}))
      if (!EXACT.test(spec)) problems.push(`${field}.${name} is "${spec}": pin an exact version`);
  const rootEntry = lock.packages?.[''] ?? {};
  for (const field of ['dependencies', 'devDependencies'])
    for (const [name, spec] of Object.entries(pkg[field] ?? {}))
      if (rootEntry[field]?.[name] !== spec)
        problems.push(`package-lock.json does not lock ${name}@${spec} as package.json asks: run npm install`);
  const scripts = [];
  for (const [where, entry] of Object.entries(lock.packages ?? {})) {
    if (!where) continue;
    const name = where.replace(/^.*node_modules\//, '');
    if (entry.link) problems.push(`${name} is a link to ${entry.resolved}: only registry packages`);
    if (entry.resolved && !entry.resolved.startsWith(REGISTRY))
      problems.push(`${name} comes from ${entry.resolved}: only ${REGISTRY}`);
    if (!entry.link && !EXACT.test(entry.version ?? ''))
      problems.push(`${name} is "${entry.version}": not a registry version`);
    if (!entry.link && !/^sha512-/.test(entry.integrity ?? ''))
      problems.push(`${name}@${entry.version} has no sha512 integrity`);
    if (entry.hasInstallScript) scripts.push(name);
  }
  for (const name of new Set(scripts))
    if (!REVIEWED_INSTALL_SCRIPTS.includes(name))
      problems.push(
        `${name} runs an install script that was not reviewed: review it, then add it to REVIEWED_INSTALL_SCRIPTS`,
      );
  return { problems, packages: Object.keys(lock.packages ?? {}).length - 1 };
}

let auditRan = false;
if (!process.argv.includes('--no-audit')) {
  const r = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high'], { cwd: root, encoding: 'utf8' });
  const text = `${r.stdout}${r.stderr}`;
  if (/audit endpoint returned an error|405 Method Not Allowed|404 Not Found|ENOTFOUND|EAI_AGAIN/.test(text)) {
    log(
      'the registry offers no audit endpoint (npm audit: ' +
        (text.match(/\d{3} [A-Za-z ]+/)?.[0] ?? 'unreachable') +
        '): reviewing the lock file instead',
    );
  } else {
    auditRan = true;
    process.stdout.write(text);
    if (r.status !== 0) {
      log('npm audit found advisories of high severity or worse in production dependencies');
      process.exitCode = 1;
    }
  }
}

const { problems, packages } = review(
  JSON.parse(fs.readFileSync(lockFile, 'utf8')),
  JSON.parse(fs.readFileSync(packageFile, 'utf8')),
);
for (const p of problems) log(`problem: ${p}`);
if (problems.length) process.exitCode = 1;
else
  log(
    `lock file reviewed: ${packages} packages pinned from the registry with sha512 integrity; install scripts only in ${REVIEWED_INSTALL_SCRIPTS.join(', ')}${auditRan ? '; npm audit passed' : ''}`,
  );
