/**
 * The scale section of docs/performance.md, from the latest bench/results/<date>-scale.json (bench/scale.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SPEED_REPEATS, type ScaleResults } from './scale';

const num = (n: number | undefined) => (n === undefined ? '—' : n.toLocaleString('en-US'));
const pct = (r: number) => `${(r * 100).toFixed(1)} %`;

/** The scale result files of the latest date that has any (<date>-scale-<scenarios>.json, <date>-scale-fleet.json). */
export function latestScaleResults(): string[] {
  const dir = path.join(__dirname, 'results');
  if (!fs.existsSync(dir)) return [];
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-\d{2}-scale(-[a-z-]+)?\.json$/.test(f))
    .sort();
  const date = files.at(-1)?.slice(0, 10);
  return files.filter((f) => f.startsWith(`${date}-`)).map((f) => path.join(dir, f));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function scaleSection(r: ScaleResults, file: string): string {
  const parts: string[] = [
    `## Scale (${file})`,
    '',
    `Measured ${r.startedAt.slice(0, 16).replace('T', ' ')}–${r.finishedAt.slice(11, 16)} UTC on ${r.machine.cores} cores (1-minute load ${r.machine.loadAtStart} at start, ${r.machine.loadAtEnd} at end: the machine is shared, so compare rows of the same run only), ${r.temporal}. ` +
      (r.before
        ? `"before" is the commit checked out in \`${r.before}\` (its own bench/worker.ts and workflows), "after" this one; they ran alternately against the same server, database and emulators.`
        : ''),
  ];
  if (r.budget.length) {
    parts.push(
      '',
      '### The whole budget of one company (production limits, time-scaled)',
      '',
      `Bound: 40 batches × 30 + 460 single writes = **1,660 records per limit minute** (× the time scale per real minute). Ratio = the shortest span the limits allow for the records pushed over the push span measured (first write QuickBooks received to last answer): a sliding limit window lets 1,660 records through per window, so N records need at least (⌈N / 1,660⌉ − 1) windows; 100 % = as fast as QuickBooks permits. (A plain rate over the bound scores a short push above 100 %, its first window being spent at once; it is shown too.) Pages of 160 = 4 batches + 40 concurrent single writes; the shared limiter (PostgreSQL) keeps every worker of the company inside 500 requests, 40 batches and 10 in flight (how it counts them, and its margin as of each commit: docs/deploying.md).`,
      '',
      '| code | workers | pushed | push span | records per limit minute | rate / bound | ratio to the fastest the limits allow | 429s | batches | single writes+reads | run wall | verified |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...r.budget.map(
        (b) =>
          `| ${b.code} | ${b.workers} | ${num(b.pushed)} | ${(b.pushSpanMs / 1000).toFixed(1)} s | ${num(Math.round(b.achievedPerMinute / b.timeScale))} | ${pct(b.ratePerBound)} | ${pct(b.ratio)} | ${b.requests.throttled} | ${num(b.requests.batch)} | ${num(b.requests.single + b.requests.query)} | ${(b.wallMs / 1000).toFixed(1)} s | ${b.verified ? 'yes' : '**no**'} |`,
      ),
    );
  }
  if (r.speed.length) {
    parts.push(
      '',
      '### Limits off: the engine’s own speed',
      '',
      `Median of ${SPEED_REPEATS} runs per row, before and after alternating run by run; every run's records/s in order.`,
      '',
      '| code | direction | records | wall (median run) | records/s (median) | every run | batches | single | queries | verified |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...r.speed.map(
        (s) =>
          `| ${s.code} | ${s.direction} | ${num(s.records)} | ${(s.wallMs / 1000).toFixed(1)} s | **${num(s.recordsPerSecond)}** | ${(s.runs ?? [s.recordsPerSecond]).map(num).join(' / ')} | ${num(s.requests.batch)} | ${num(s.requests.single)} | ${num(s.requests.query)} | ${s.verified ? 'yes' : '**no**'} |`,
      ),
    );
  }
  if (r.noop.length) {
    const codes = [...new Set(r.noop.map((n) => n.code))];
    parts.push(
      '',
      '### No-op runs, after different runs on the same warm worker',
      '',
      'Every no-op run is reported, each after something different (its own initial pull, its own incremental run, another company’s push, another no-op run), so the median cannot be chosen by what ran before. “Read again” counts the QuickBooks records a run received and found unchanged: records changed within the change feed’s overlap before the last run (seconds of QuickBooks time) are transferred again, however few of them changed.',
      '',
      '| code | after | wall | QuickBooks requests | read again | records changed |',
      '|---|---|---|---|---|---|',
      ...r.noop.map(
        (n) =>
          `| ${n.code} | ${n.after} | ${num(n.wallMs)} ms | ${n.requests} | ${n.reread === undefined ? '—' : num(n.reread)} | ${n.pulledOrPushed} |`,
      ),
      '',
      ...codes.map((c) => {
        const walls = r.noop.filter((n) => n.code === c).map((n) => n.wallMs);
        return `- ${c}: median **${num(median(walls))} ms**, max ${num(Math.max(...walls))} ms over ${walls.length} runs.`;
      }),
    );
  }
  if (r.fleet.length) {
    const temporalCpu = (f: ScaleResults['fleet'][number]) =>
      f.temporalCpuSeconds && Object.keys(f.temporalCpuSeconds).length
        ? Object.entries(f.temporalCpuSeconds)
            .map(([s, cpu]) => `${s} ${cpu}`)
            .join(', ')
        : '—';
    const pgLoad = (f: ScaleResults['fleet'][number]) =>
      f.postgres
        ? f.postgres
            .map(
              (p) =>
                `${p.database}: ${num(p.transactions)} xact, ${num(p.tuplesWritten)} tuples written, ${num(p.tuplesReturned)} returned, ${p.activeSeconds} s active`,
            )
            .join('; ') + ` (max ${f.pgBackendsMax} backends)`
        : '—';
    parts.push(
      '',
      `### The fleet: ${num(r.fleet[0].runs)} small companies, started within ${(r.fleet[0].jitterMs / 1000).toFixed(0)} s (as schedule jitter spreads them)`,
      '',
      'Each company: 20 customers, 10 items, 30 invoices, 10 payments in QuickBooks. Each run is started as the nightly schedule starts it (scheduledSync → the tenant’s coordinator → syncTenant as its child). The first round is every company’s first import; before each later round a few records change on each side (1 in 10 app rows; 1 in 10 QuickBooks records for half of the companies). Production limits (not scaled).',
      '',
      '| code | round | workers | runs | failures | time until all finished | runs/min/worker | median run | p95 run | worker CPU s per run | RSS start → end (MB) | peak RSS (MB) | Temporal CPU s | PostgreSQL |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...r.fleet.map(
        (f) =>
          `| ${f.code} | ${f.kind ?? 'nightly'} | ${f.workers} | ${f.runs} | ${f.failures} | ${(f.totalMs / 1000).toFixed(1)} s | ${f.runsPerMinutePerWorker} | ${num(f.medianRunMs)} ms | ${num(f.p95RunMs)} ms | ${f.cpuSecondsPerRun} | ${f.rssStartMb.map((s, i) => `${s} → ${f.rssEndMb[i]}`).join(', ')} | ${f.peakRssMb.join(', ')} | ${temporalCpu(f)} | ${pgLoad(f)} |`,
      ),
    );
  }
  if (r.rssGrowth?.length)
    parts.push(
      '',
      '### Worker RSS over runs (one worker)',
      '',
      ...r.rssGrowth.map((g) => `- ${g.code}: ${g.samples.map(([runs, mb]) => `${runs} runs ${mb} MB`).join(' · ')}`),
    );
  if (r.fleetMemory?.length)
    parts.push(
      '',
      '### One warm worker’s memory over fleet runs',
      '',
      'Sampled after each round of the fleet (all its runs closed), as the worker reports it: RSS, and its main V8 heap (activities; the workflows run in a worker thread whose heap counts in RSS only).',
      '',
      ...r.fleetMemory.map(
        (m) =>
          `- ${m.code} (fleet of ${num(m.fleet)}): ${m.samples.map((s) => `${num(s.runs)} runs: RSS ${s.rssMb} MB, heap ${s.heapUsedMb}/${s.heapTotalMb} MB`).join(' · ')}`,
      ),
    );
  return `${parts.join('\n')}\n`;
}

/** The section for docs/performance.md, or '' when no scale result exists yet. */
export function latestScaleSection(root: string): string {
  return latestScaleResults()
    .map(
      (file) =>
        `\n${scaleSection(JSON.parse(fs.readFileSync(file, 'utf8')) as ScaleResults, path.relative(root, file))}`,
    )
    .join('');
}
