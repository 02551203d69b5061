export {
  EventDispatcher,
  DEFAULT_RETRY_DELAYS_MS,
  retryDelaysFromEnv,
  timeoutFromEnv,
  type EventBody,
} from './dispatcher';
export { addEndpoint, listEndpoints, removeEndpoint, replayEvents, EndpointError, type Endpoint } from './endpoints';
export { generateSecret, signEvent, eventHeaders, verifyEvent } from './signing';
