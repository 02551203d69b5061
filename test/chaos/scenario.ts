import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { seedAppCompany, type CompanySize } from '../../bench/appSeed';
import type { BulkSeed } from '../../emulator/seed';
import { syncTenant } from '../../workflows/syncTenant';
import type { Stack } from '../helpers/stack';
import { until } from '../helpers/until';

/** The chaos scenarios' company: work in both directions, a few pages of each entity. */
export const TWO_WAY_COMPANY: { quickbooks: BulkSeed; app: CompanySize } = {
  quickbooks: { customers: 100, items: 40, invoices: 400, payments: 250, maxLinesPerInvoice: 5 },
  app: { customers: 100, items: 40, invoices: 600, payments: 300, maxLinesPerInvoice: 5 },
};

/** A company with work in both directions: QuickBooks seeded in bulk, the app's tables written directly. */
export async function seedBothSides(
  stack: Stack,
  tenantId: string,
  realmId: string,
  size: { quickbooks: BulkSeed; app: CompanySize },
): Promise<void> {
  await stack.admin.seed(realmId, { kind: 'bulk', ...size.quickbooks });
  await seedAppCompany(stack.database.db, tenantId, size.app);
}

export function startRun(stack: Stack, tenantId: string, label: string): Promise<WorkflowHandle<typeof syncTenant>> {
  return stack.temporal.client.workflow.start(syncTenant, {
    taskQueue: stack.temporal.taskQueue,
    workflowId: `chaos-${label}-${randomBytes(4).toString('hex')}`,
    args: [{ tenantId, trigger: `chaos-${label}` }],
  });
}

/** The latest request-log sequence number of the emulator (all realms), reading only what came after `since`. */
export async function logSeq(stack: Stack, since = 0): Promise<number> {
  return (await stack.admin.requests({ sinceSeq: since })).at(-1)?.seq ?? since;
}

/**
 * Waits until the run has made `requests` more QuickBooks requests from now (progress counted in requests, never in
 * time; `since` is a request-log position before now, to read less), and checks it still runs: where a scenario strikes.
 */
export async function progressed(stack: Stack, handle: WorkflowHandle, since: number, requests: number): Promise<void> {
  const from = await logSeq(stack, since);
  await until(
    'the run to make progress',
    async () => (await logSeq(stack, from)) - from,
    (n) => n >= requests,
  );
  if (await closed(handle)) throw new Error(`the run ${handle.workflowId} ended before ${requests} more requests`);
}

/** Whether a workflow has closed, without waiting for it. */
export async function closed(handle: WorkflowHandle): Promise<boolean> {
  return (await handle.describe()).status.name !== 'RUNNING';
}

/** A seeded pseudo-random sequence, so a failing run can be replayed with CHAOS_SEED. */
export function seededRandom(): { seed: number; next: () => number } {
  const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  let s = seed >>> 0;
  return {
    seed,
    next: () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    },
  };
}

/**
 * The run's result; fails fast, with the last failure's message and stack, when an activity keeps failing (attempt
 * `maxAttempt` or more) instead of waiting out its retry policy.
 */
export async function resultOrStuck<W extends Workflow>(
  handle: WorkflowHandle<W>,
  maxAttempt = 5,
  ms = 600_000,
): Promise<WorkflowResultType<W>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return handle.result();
    for (const pending of description.raw.pendingActivities ?? []) {
      if ((pending.attempt ?? 0) >= maxAttempt) {
        const f = pending.lastFailure;
        throw new Error(
          `activity ${pending.activityType?.name} is stuck at attempt ${pending.attempt}: ${f?.message}\n${f?.stackTrace ?? ''}\ncause: ${f?.cause?.message ?? ''}\n${f?.cause?.stackTrace ?? ''}`,
        );
      }
    }
    if (Date.now() > deadline) throw new Error(`the run did not finish within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
