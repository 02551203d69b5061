import { parseAllowHosts } from '../../activities/notifications/webhookPolicy';
import type { Command } from 'commander';
import { cipherFromConfig } from '../../activities/connection/crypto';
import {
  addEndpoint,
  EventDispatcher,
  listEndpoints,
  removeEndpoint,
  replayEvents,
  retryDelaysFromEnv,
  timeoutFromEnv,
} from '../../activities/events';
import { EVENT_TYPES, type EventType } from '../../schema/tables/events';
import { commandContext, openDatabase, StartupError, untilSignal } from '../context';
import { withDatabase } from './tenant';
import { ApiProblem, QbsyncApi } from '../api';
import { DEFAULT_API_PORT } from '../../server/serve';

function parseSince(value: string): Date {
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(relative[1]) * unit);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new StartupError(`--since ${value} is not a time: give an ISO time (2026-11-27T08:00:00Z) or 30m, 6h, 2d`);
  return date;
}

export function registerEvents(program: Command): void {
  const events = program.command('events').description('signed events to the app: endpoints, delivery, replay');

  events
    .command('endpoint-add <tenant> <url>')
    .description("subscribe a URL to the tenant's events; prints the whsec_ signing secret once")
    .option('--types <types>', `comma-separated event types (default: all of ${EVENT_TYPES.join(', ')})`)
    .action(async (tenant: string, url: string, opts: { types?: string }) => {
      const { config } = commandContext();
      const cipher = cipherFromConfig(config);
      const types = opts.types ? (opts.types.split(',').map((t) => t.trim()) as EventType[]) : null;
      const { endpoint, secret } = await withDatabase((db) =>
        addEndpoint(db, cipher, { tenantId: tenant, url, types }),
      );
      console.log(`endpoint ${endpoint.id} → ${endpoint.url}`);
      console.log(`signing secret (shown once, keep it with the receiver): ${secret}`);
    });

  events
    .command('endpoint-list <tenant>')
    .description("the tenant's endpoints")
    .action(async (tenant: string) => {
      const list = await withDatabase((db) => listEndpoints(db, tenant));
      for (const e of list)
        console.log(`${e.id}\t${e.enabled ? 'enabled' : 'disabled'}\t${e.url}\t${e.types?.join(',') ?? 'all'}`);
    });

  events
    .command('endpoint-remove <tenant> <id>')
    .description('stop sending events to an endpoint')
    .action(async (tenant: string, id: string) => {
      const removed = await withDatabase((db) => removeEndpoint(db, tenant, Number(id)));
      if (!removed)
        throw new StartupError(`tenant ${tenant} has no endpoint ${id}: see qbsync events endpoint-list ${tenant}`);
      console.log(`endpoint ${id} removed`);
    });

  events
    .command('replay')
    .description('send again every event since a time (receivers drop repeats by webhook-id)')
    .requiredOption('--since <time>', 'ISO time, or 30m / 6h / 2d ago')
    .option('--tenant <tenant>', 'only this tenant')
    .action(async (opts: { since: string; tenant?: string }) => {
      const since = parseSince(opts.since);
      const { deliveries } = await withDatabase((db) => replayEvents(db, { since, tenantId: opts.tenant }));
      console.log(`${deliveries} deliveries since ${since.toISOString()} queued again`);
    });

  events
    .command('list <tenant>')
    .description(
      'recent events and their deliveries (attempts, last error), from a running qbsync serve (QBSYNC_API_URL, QBSYNC_API_KEY)',
    )
    .option('--limit <n>', 'how many', '20')
    .option('--type <type>', 'only this event type')
    .action(async (tenant: string, opts: { limit: string; type?: string }) => {
      const { config } = commandContext();
      const baseUrl = config.QBSYNC_API_URL ?? `http://127.0.0.1:${DEFAULT_API_PORT}`;
      const apiKey = config.QBSYNC_API_KEY;
      if (!apiKey)
        throw new StartupError(
          'QBSYNC_API_KEY is missing: create one with qbsync apikey create <name> --tenant <tenant>',
        );
      const api = new QbsyncApi({ baseUrl, apiKey });
      try {
        const page = await api.listEvents(tenant, { limit: Number(opts.limit), type: opts.type });
        for (const e of page.data) {
          const d = e.deliveries
            .map(
              (x) =>
                `endpoint ${x.endpoint_id} ${x.status} after ${x.attempts} attempt(s)${x.last_error ? `: ${x.last_error}` : ''}`,
            )
            .join('; ');
          console.log(`${e.created_at}  ${e.id}  ${e.type.padEnd(26)} ${e.subject}  ${d || 'no endpoint'}`);
        }
      } catch (error) {
        if (error instanceof ApiProblem) throw new StartupError(`${baseUrl}: ${error.problem.detail}`);
        if ((error as Error).name === 'TypeError')
          throw new StartupError(
            `no qbsync API answers at QBSYNC_API_URL=${baseUrl}: start it with qbsync serve (or npm start)`,
          );
        throw error;
      }
    });

  events
    .command('deliver')
    .description('run the event dispatcher alone until SIGINT/SIGTERM (qbsync serve runs one too)')
    .action(async () => {
      const { config, logger } = commandContext();
      const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema, create: false });
      const dispatcher = new EventDispatcher({
        db,
        databaseUrl: config.DATABASE_URL,
        cipher: cipherFromConfig(config),
        logger,
        retryDelaysMs: retryDelaysFromEnv(),
        timeoutMs: timeoutFromEnv(),
        allowHosts: parseAllowHosts(config.QBSYNC_WEBHOOK_ALLOW_HOSTS),
      });
      await dispatcher.start();
      logger.info('event dispatcher started');
      await untilSignal();
      await dispatcher.stop();
      await db.destroy();
    });
}
