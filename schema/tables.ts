/**
 * The typed view of every table qbsync owns. Each area keeps its tables in schema/tables/<area>.ts,
 * beside the migration that creates them; this file only composes them.
 */
import type { AppTables } from './tables/app';
import type { ConsoleTables } from './tables/console';
import type { CoreTables } from './tables/core';
import type { EventTables } from './tables/events';
import type { DesktopTables } from './tables/desktop';
import type { NotificationTables } from './tables/notifications';
import type { OrderTakingTables } from './tables/orderTaking';
import type { RateLimitTables } from './tables/rateLimits';
import type { SyncTables } from './tables/sync';
import type { TenantTables } from './tables/tenants';

export type Database = CoreTables &
  TenantTables &
  AppTables &
  SyncTables &
  NotificationTables &
  OrderTakingTables &
  EventTables &
  DesktopTables &
  ConsoleTables &
  RateLimitTables;
