/** Turns the errors users meet at start-up (unreachable PostgreSQL or Temporal, bad credentials) into one line that says what to do. */
export function describeStartupError(error: unknown): string {
  const e = error as { code?: string; message?: string; address?: string; port?: number; details?: string };
  const message = e?.message ?? String(error);
  switch (e?.code) {
    case 'ECONNREFUSED':
      return `nothing answers at ${e.address ?? ''}${e.port ? `:${e.port}` : ''} (${message}); is the server running, and is the address right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${message}); check the address in DATABASE_URL or TEMPORAL_ADDRESS`;
    case '28P01':
    case '28000':
      return `PostgreSQL refused the login (${message}); check the user and password in DATABASE_URL`;
    case '3D000':
      return `PostgreSQL database missing (${message}); run \`qbsync migrate\`, which creates it`;
    default:
      return message.split('\n')[0];
  }
}
