// The QuickBooks Online + Intuit OAuth emulator: same paths and wire format as Intuit's, so only base URLs differ.
export { startEmulator } from './server';
export { Emulator } from './emulator';
export {
  DEMO_APP,
  DEMO_REALM_ID,
  DEMO_COMPANY_NAME,
  type EmulatorOptions,
  type RunningEmulator,
  type RequestLogEntry,
} from './options';
export { EmulatorAdmin, type TokenResponse } from './admin';
export { signWebhookBody } from './webhooks';
