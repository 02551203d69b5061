import type { Logger } from '../workers/logger';
import type { Clock } from '../workers/clock';
import type { Db } from '../schema/db';
import { createHealthActivities } from './health';
import { createNotificationActivities } from './notifications/activities';
import type { NotificationConfig } from './notifications/config';
import { createOperationsActivities } from './operations/activities';
import type { TemporalAccess } from './operations/requestSync';
import { createSyncActivities } from './sync/activities';
import type { BackendFactory } from './backends';

/** Everything activities need, handed in by the worker (and by tests), never reached for globally. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  /** A tenant's accounting backend (activities/backends); tokens are loaded inside, never passed around. */
  backendFor: BackendFactory;
  /** SMTP and named secrets for notices and invoice emails; without it notices are only logged and kept. */
  notifications?: NotificationConfig;
  /** Lets the scheduled trigger signal (or start) a tenant's coordinator; workers provide it. */
  temporal?: TemporalAccess;
  /** How long a step activity moves pages before handing back to its workflow (tests shorten it). */
  stepSliceMs?: number;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
    ...createSyncActivities(deps),
    ...createNotificationActivities(deps),
    ...createOperationsActivities(deps),
  };
}

/** The activity surface as workflows see it (type-only import in workflows/). */
export type Activities = ReturnType<typeof createActivities>;
