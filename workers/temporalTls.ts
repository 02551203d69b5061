import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type Config } from './config';

function readPem(variable: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError(
      `${variable} is invalid: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); make certificates with scripts/certs.sh`,
    );
  }
}

/**
 * TLS to the Temporal frontend, for workers and clients alike: mTLS with TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, the
 * server verified against TEMPORAL_TLS_CA (else the system's CAs) under TEMPORAL_TLS_SERVER_NAME (else the address's
 * host). Undefined — plain gRPC — when none is set: a dev server on loopback.
 */
export function temporalTls(
  config: Pick<Config, 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_SERVER_NAME'>,
): TLSConfig | undefined {
  const { TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_CA: ca } = config;
  if (!cert && !key && !ca && !config.TEMPORAL_TLS_SERVER_NAME) return undefined;
  return {
    ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
    ...(ca ? { serverRootCACertificate: readPem('TEMPORAL_TLS_CA', ca) } : {}),
    ...(cert && key
      ? { clientCertPair: { crt: readPem('TEMPORAL_TLS_CERT', cert), key: readPem('TEMPORAL_TLS_KEY', key) } }
      : {}),
  };
}
