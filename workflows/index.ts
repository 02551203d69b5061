// The workflows a qbsync worker registers. Workflow code is deterministic: it imports activity types only.
export { checkWorker } from './health';
export { syncTenant, progressQuery } from './syncTenant';
export { tenantCoordinator, synchronizeAll, statusQuery } from './coordinator';
export { scheduledSync } from './scheduledSync';
