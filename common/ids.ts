// Readable, fixed ids shared by workflows, activities and the CLI: each names its tenant, so Temporal Web can be
// searched by prefix as well as by the QbsyncTenant search attribute.

/** The tenant's one long-lived coordinator: every "Synchronize All" request goes to it. */
export function coordinatorId(tenantId: string): string {
  return `qbsync:${tenantId}`;
}

/** The tenant's Temporal Schedule (twice nightly by default). */
export function scheduleId(tenantId: string): string {
  return `qbsync:${tenantId}:schedule`;
}

/** One sync run, a child of the coordinator; `n` counts the tenant's runs. */
export function syncRunWorkflowId(tenantId: string, n: number): string {
  return `qbsync:${tenantId}:sync:${n}`;
}

/** The workflow a schedule starts; Temporal appends the fire time, so each fire has its own id. */
export function scheduledSyncId(tenantId: string): string {
  return `qbsync:${tenantId}:scheduled`;
}

/** Workflow type names, for clients and activities that start or signal workflows without importing their code. */
export const WORKFLOW_TYPES = {
  tenantCoordinator: 'tenantCoordinator',
  syncTenant: 'syncTenant',
  scheduledSync: 'scheduledSync',
} as const;
