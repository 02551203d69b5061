/**
 * Renders a benchmark result (bench/results/<date>.json) as bench/results/<date>.md and docs/performance.md.
 * `npx tsx bench/report.ts [bench/results/<date>.json]` regenerates both from a result file (the latest by default).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CompanySize } from './appSeed';
import type { ScenarioResult } from './measure';
import { latestScaleSection } from './scaleReport';

export interface BenchResults {
  date: string;
  startedAt: string;
  finishedAt: string;
  scale: number;
  size: CompanySize;
  machine: Record<string, string | number>;
  method: Record<string, string>;
  scenarios: ScenarioResult[];
}

interface TargetCheck {
  target: string;
  figure: string;
  met: boolean | undefined;
}

const mark = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? 'met' : '**missed**');
const num = (n: number | undefined) => (n === undefined ? '—' : n.toLocaleString('en-US'));

export function targetChecks(r: BenchResults): TargetCheck[] {
  const by = (name: string) => r.scenarios.find((s) => s.name === name);
  const limited = by('limited');
  const noop = by('noop');
  const eager = by('noop-eager');
  const noEager = by('noop-no-eager');
  const offScenarios = ['pull', 'push'].map(by).filter((s): s is ScenarioResult => !!s);
  const rss = r.scenarios.map((s) => s.workerPeakRssMb).filter((n): n is number => n !== undefined);
  // Runs that do pages of work at scale; a no-op or 1% run is mostly the fixed bookkeeping of a run (its figure is in the table).
  const paged = r.scenarios.filter((s) => ['pull', 'push', 'limited'].includes(s.name));
  const ratio = limited?.extra?.ratioToBound as number | undefined;
  return [
    {
      target: 'push at ≥ 90% of the rate-limit bound',
      figure:
        ratio === undefined
          ? '—'
          : `${(ratio * 100).toFixed(1)}% (${num(limited!.extra!.achievedRecordsPerMinute as number)} of at most ${num(limited!.extra!.boundRecordsPerMinute as number)} records per minute: 1,200 × time scale ${limited!.extra!.timeScale})`,
      met: ratio === undefined ? undefined : ratio >= 0.9,
    },
    ...offScenarios.map((s) => ({
      target: `limits off, ≥ 1,000 records/s end to end (${s.name})`,
      figure: `${num(s.recordsPerSecond)} records/s`,
      met: s.recordsPerSecond >= 1000,
    })),
    {
      target: 'no-op run ≤ 2 s from start to completion',
      figure: noop
        ? `median ${num(noop.extra?.medianRunMs as number)} ms, max ${num(noop.extra?.maxRunMs as number)} ms${eager ? ` (server with eager activity dispatch: median ${num(eager.extra?.medianRunMs as number)} ms, max ${num(eager.extra?.maxRunMs as number)} ms)` : ''}${noEager ? ` (server without eager activity dispatch: median ${num(noEager.extra?.medianRunMs as number)} ms, max ${num(noEager.extra?.maxRunMs as number)} ms)` : ''}`
        : '—',
      met: noop ? (noop.extra?.maxRunMs as number) <= 2000 : undefined,
    },
    {
      target: 'worker RSS ≤ 400 MB',
      figure: rss.length ? `peak ${Math.max(...rss)} MB` : '—',
      met: rss.length ? Math.max(...rss) <= 400 : undefined,
    },
    {
      target: '≤ 10 history events per page of work (runs that move the company)',
      figure: paged.length ? paged.map((s) => `${s.name} ${s.eventsPerPage}`).join(', ') : '—',
      met: paged.length ? paged.every((s) => s.eventsPerPage <= 10) : undefined,
    },
  ];
}

export function scenarioTable(r: BenchResults): string {
  const rows = [
    '| scenario | wall time | records | records/s | pages | executions | history events | events/page | QuickBooks requests (single / batch / query / CDC) | throttled | emulator time | worker peak RSS | PostgreSQL time | counts agree |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|',
  ];
  for (const s of r.scenarios) {
    const q = s.requests;
    rows.push(
      `| ${s.name} | ${(s.wallMs / 1000).toFixed(2)} s | ${num(s.records)} | ${num(s.recordsPerSecond)} | ${num(s.pages)} | ${s.executions} | ${num(s.historyEvents)} | ${s.eventsPerPage} | ${q.single} / ${q.batch} / ${q.query} / ${q.cdc} | ${q.throttled} | ${q.emulatorMs === undefined ? '—' : `${(q.emulatorMs / 1000).toFixed(1)} s`} | ${s.workerPeakRssMb ?? '—'} MB | ${(s.pgActiveMs / 1000).toFixed(1)} s | ${s.verified ? 'yes' : '**no**'} |`,
    );
  }
  return rows.join('\n');
}

function targetsTable(r: BenchResults): string {
  return [
    '| target | figure | |',
    '|---|---|---|',
    ...targetChecks(r).map((t) => `| ${t.target} | ${t.figure} | ${mark(t.met)} |`),
  ].join('\n');
}

/** Where each scenario's wall time went: PostgreSQL executing, the emulator answering, and the rest (worker CPU, Temporal dispatch). */
function timeShares(r: BenchResults): string {
  const pct = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;
  return [
    '| scenario | PostgreSQL | QuickBooks emulator | rest: worker CPU, Temporal task dispatch (limited: waiting on the rate limit) |',
    '|---|---:|---:|---:|',
    ...r.scenarios
      .filter((s) => s.requests.emulatorMs !== undefined)
      .map(
        (s) =>
          `| ${s.name} | ${pct(s.pgActiveMs, s.wallMs)} | ${pct(s.requests.emulatorMs, s.wallMs)} | ${pct(Math.max(0, s.wallMs - s.pgActiveMs - s.requests.emulatorMs), s.wallMs)} |`,
      ),
  ].join('\n');
}

function details(r: BenchResults): string {
  return r.scenarios
    .map(
      (s) =>
        `- **${s.name}**: ${s.description}.${
          s.extra
            ? ` ${Object.entries(s.extra)
                .map(([k, v]) => `${k} ${typeof v === 'number' ? num(v) : v}`)
                .join(', ')}.`
            : ''
        }`,
    )
    .join('\n');
}

export function resultMarkdown(r: BenchResults): string {
  return `# qbsync benchmark ${r.date}

Company: ${num(r.size.customers)} customers, ${num(r.size.items)} items, ${num(r.size.invoices)} invoices of 1–${r.size.maxLinesPerInvoice} lines, ${num(r.size.payments)} payments (scale ${r.scale}).
Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GB; ${r.machine.os}; Node ${r.machine.node}; ${r.machine.postgres}; ${r.machine.temporal}${r.machine.loadAverage ? `; load average ${r.machine.loadAverage}` : ''}.

## Targets

${targetsTable(r)}

## Scenarios

${scenarioTable(r)}

${details(r)}
`;
}

export function performanceDoc(r: BenchResults, resultFile: string): string {
  const limited = r.scenarios.find((s) => s.name === 'limited');
  const timeScale = (limited?.extra?.timeScale as number | undefined) ?? 10;
  return `# Performance

<!-- Generated by bench/report.ts from ${resultFile}; do not edit by hand: run \`npm run bench\`. -->

Measured ${r.date} with \`npm run bench${r.scale === 1 ? '' : ` -- --scale ${r.scale}`}\` (${resultFile}).

## The bound

QuickBooks Online limits each company (realm) to 500 requests per minute, 40 batch requests per minute and 10
requests in flight; a batch carries at most 30 items. Writes therefore cannot exceed 40 × 30 = **1,200 records per
minute per realm**, however fast qbsync is: pushing ${num(r.size.customers + r.size.items + r.size.invoices + r.size.payments)} records takes at least
${((r.size.customers + r.size.items + r.size.invoices + r.size.payments) / 1200).toFixed(0)} minutes against real QuickBooks. Reads are cheaper: a query returns up to 1,000 records.
The \`limited\` scenario runs the emulator with these limits and one limit "minute" lasting ${(60 / timeScale).toFixed(1)} s (time scale ×${timeScale}),
qbsync's own client-side limiter scaled the same way, and compares the push rate reached with the bound (1,200 × ${timeScale} records per real minute).

## Method

- Company: ${num(r.size.customers)} customers, ${num(r.size.items)} items, ${num(r.size.invoices)} invoices of 1–${r.size.maxLinesPerInvoice} lines, ${num(r.size.payments)} payments. QuickBooks side seeded by the emulator's bulk seed; app side written into the app's tables with set-based SQL (bench/appSeed.ts).
- Real Temporal (${r.machine.temporal}) and real PostgreSQL (dedicated database \`qbsync_bench\`, recreated per run); the QuickBooks emulator in the benchmark's process.
- Worker: ${r.method.worker}.
- Wall time: from the workflow start request to its result. Records: created, updated or deleted on either side.
- History: ${r.method.history}.
- QuickBooks requests: ${r.method.requests}.
- PostgreSQL time: ${r.method.postgresTime}.
- After each scenario the benchmark checks that app rows, QuickBooks records and links agree in number per entity.

## Machine

| | |
|---|---|
${Object.entries(r.machine)
  .map(([k, v]) => `| ${k} | ${v} |`)
  .join('\n')}

## Targets

${targetsTable(r)}

## Figures

${scenarioTable(r)}

${details(r)}

## Where the time goes

PostgreSQL and the emulator overlap little with the rest (pages are sequential), so these shares are close to additive.

${timeShares(r)}
`;
}

/** Writes <date>.md beside the JSON and regenerates docs/performance.md; returns the paths written. */
export function renderReports(jsonPath: string): string[] {
  const results = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as BenchResults;
  const root = path.join(__dirname, '..');
  const mdPath = jsonPath.replace(/\.json$/, '.md');
  fs.writeFileSync(mdPath, resultMarkdown(results));
  const docPath = path.join(root, 'docs', 'performance.md');
  fs.writeFileSync(docPath, performanceDoc(results, path.relative(root, jsonPath)) + latestScaleSection(root));
  return [mdPath, docPath];
}

export function latestResult(): string {
  const dir = path.join(__dirname, 'results');
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f))
    .sort();
  if (!files.length) throw new Error('no bench/results/<date>.json yet: run `npm run bench`');
  return path.join(dir, files.at(-1)!);
}

if (require.main === module) {
  const written = renderReports(process.argv[2] ?? latestResult());
  console.log(`wrote ${written.join(', ')}`);
}
