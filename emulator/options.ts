export interface EmulatorOptions {
  /** 0 = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 'empty' programmatically; the CLI defaults to 'demo'. */
  seed?: 'demo' | 'empty';
  /** Loaded at start when it exists, saved at close. */
  stateFile?: string;
  /** Default 'production': 500 requests/min, 10 concurrent, 40 batches/min per realm. */
  limits?: 'production' | 'off';
  /** Default 1; 60 makes a limit "minute" last one second. Token expiry is not scaled. */
  timeScale?: number;
  quiet?: boolean;
}

export interface RunningEmulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Saves state when a stateFile was given. */
  close(): Promise<void>;
}

export interface RequestLogEntry {
  seq: number;
  method: string;
  path: string;
  realmId?: string;
  entity?: string;
  operation: string;
  requestid?: string;
  status: number;
  time: string;
  ms: number;
  faultCode?: string;
  replayed?: boolean;
  injected?: string;
}

export const DEMO_REALM_ID = '9130350000000001';
export const DEMO_COMPANY_NAME = 'Demo Company';
export const DEMO_APP = {
  clientId: 'qbsync-dev',
  clientSecret: 'qbsync-dev-secret',
  redirectUris: ['http://127.0.0.1:8911/callback', 'http://localhost:8911/callback'],
};
