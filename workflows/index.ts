// The workflows a qbsync worker registers. Workflow code is deterministic: it imports activity types only.
export { checkWorker } from './health';
export { syncTenant, progressQuery } from './syncTenant';
