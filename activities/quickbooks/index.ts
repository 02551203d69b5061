export {
  QboClient,
  BATCH_MAX_ITEMS,
  type QboClientOptions,
  type Where,
  type WriteOptions,
  type RawCall,
  type BatchRequestItem,
  type BatchItemResult,
} from './client';
export {
  changeDataCapture,
  CDC_LOOK_BACK_MS,
  CDC_MAX_OBJECTS,
  NOT_IN_CDC,
  type CdcOptions,
  type CdcResult,
} from './cdc';
export * from './errors';
export { errorFromFault, parseFaultJson, parseFaultXml, retryAfterMs, type ParsedFault } from './faults';
export { toCents, centsToQbo, centsToString, type Rounding } from '../money';
export {
  select,
  quote,
  literal,
  field,
  chunkIn,
  qboDateTime,
  QueryBuilder,
  type Literal,
  type Operator,
} from './query';
export {
  RealmRateLimiter,
  RateLimiterRegistry,
  QBO_LIMITS,
  type RateLimits,
  type RateLimiterStats,
  type RequestLimiter,
  type RequestLimiterRegistry,
} from './rateLimiter';
export { SharedRateLimiterRegistry, SharedRealmLimiter, type SharedLimiterOptions } from './sharedRateLimiter';
export {
  deterministicRequestId,
  batchChunkRequestId,
  derivedRequestId,
  MAX_REQUEST_ID,
  MAX_BATCH_REQUEST_ID,
} from './requestId';
export * from './schemas';
export type { TokenSource } from './tokenSource';
