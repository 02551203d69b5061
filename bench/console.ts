/**
 * The console's page load, measured in the browser (Debian's Chromium, headless): first paint and first contentful
 * paint of the sign-in page, and on a tenant page with 50 runs of history, first contentful paint and time to
 * interactive (navigation start → the runs, problems, conflicts, settings and status have all been read and drawn and
 * Synchronize All can be pressed). Each page is loaded ITERATIONS times in a fresh tab; also with the CPU slowed 4×
 * (Chrome's throttling) for "a slow laptop". `npm run bench:console`; figures printed and written to bench/results/.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../test/console/consoleStack';
import { addAndConnect, signIn, synchronizeAll } from '../test/console/drive';
import { withConsole } from '../test/console/standalone';

const ITERATIONS = Number(process.env.BENCH_CONSOLE_ITERATIONS ?? 15);
const HISTORY = 50;

interface Sample {
  firstPaint: number;
  fcp: number;
  tti?: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]);
};

async function paints(page: Page): Promise<{ firstPaint: number; fcp: number }> {
  return (await page.evaluate(`(() => {
    const p = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
    return { firstPaint: p['first-paint'] ?? NaN, fcp: p['first-contentful-paint'] ?? NaN };
  })()`)) as { firstPaint: number; fcp: number };
}

async function measure(
  newPage: () => Promise<Page>,
  url: string,
  ready: (page: Page) => Promise<void>,
  cpuSlowdown: number,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const page = await newPage();
    if (cpuSlowdown > 1) {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuSlowdown });
    }
    await page.goto(url);
    await ready(page);
    const tti = (await page.evaluate('performance.now()')) as number;
    samples.push({ ...(await paints(page)), tti });
    await page.close();
  }
  return samples;
}

function summarize(samples: Sample[]) {
  const of = (k: keyof Sample) => samples.map((s) => s[k]).filter((x): x is number => Number.isFinite(x));
  const stat = (k: keyof Sample) => ({ p50: quantile(of(k), 0.5), p90: quantile(of(k), 0.9) });
  return { firstPaint: stat('firstPaint'), fcp: stat('fcp'), tti: stat('tti') };
}

async function main(): Promise<void> {
  const results = await withConsole('bench_console', async (c, browser) => {
    const page = await browser.context.newPage();
    const tenant = `bench-${randomBytes(2).toString('hex')}`;
    c.tenants.push(tenant);
    await signIn(page, c.api.url, OPERATOR.name, OPERATOR.password);
    await addAndConnect(page, c, tenant, 'Bench Tenant');
    await synchronizeAll(page);
    // 49 more runs of history, copies of the real one (the page lists the newest 20; the rest are a page away).
    await c.stack.database.db.transaction().execute(async (trx) => {
      const [run] = await trx.selectFrom('sync_runs').selectAll().where('tenant_id', '=', tenant).execute();
      const steps = await trx.selectFrom('sync_step_runs').selectAll().where('run_id', '=', run.id).execute();
      for (let i = 1; i < HISTORY; i++) {
        const id = `${run.id}-copy-${i}`;
        const at = new Date(run.started_at.getTime() - i * 3600_000);
        await trx
          .insertInto('sync_runs')
          .values({
            ...run,
            id,
            workflow_id: `${run.workflow_id}-copy-${i}`,
            started_at: at,
            finished_at: at,
            error: null,
          })
          .execute();
        await trx
          .insertInto('sync_step_runs')
          .values(steps.map((s) => ({ ...s, run_id: id, error: null, resume_at: null })))
          .execute();
      }
    });
    await page.close();
    const newPage = () => browser.context.newPage();
    const tenantUrl = `${c.api.url}/console/#/tenants/${tenant}`;
    const tenantReady = async (p: Page) => {
      await p.locator('details.run').nth(19).waitFor();
      await p.locator('#last-outcome').waitFor();
      await p.locator('#sync:not([disabled])').waitFor();
    };
    const out: Record<string, unknown> = { iterations: ITERATIONS, history: HISTORY };
    for (const slowdown of [1, 4]) {
      // The sign-in page: a separate, signed-out context would need a new browser; a fresh tab of the sign-in route
      // loads the same assets and draws the form without a session request's answer mattering.
      const signin = await measure(
        newPage,
        `${c.api.url}/console/#/signin`,
        (p) => p.getByRole('button', { name: 'Sign in' }).waitFor(),
        slowdown,
      );
      const tenantPage = await measure(newPage, tenantUrl, tenantReady, slowdown);
      out[`cpu${slowdown}x`] = { signIn: summarize(signin), tenantPage: summarize(tenantPage) };
    }
    const bytes = ['index.html', 'app.js', 'style.css'].map(
      (f) => fs.statSync(path.join(__dirname, '..', 'server', 'console', 'public', f)).size,
    );
    out.assetBytes = bytes.reduce((a, b) => a + b, 0);
    return out;
  });
  const file = path.join(__dirname, 'results', `console-${new Date().toISOString().slice(0, 10)}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
  console.log(`written to ${path.relative(process.cwd(), file)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
