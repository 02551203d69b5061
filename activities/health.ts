import { sql } from 'kysely';
import type { Db } from '../schema/db';
import type { Clock } from '../workers/clock';

export interface HealthDeps {
  db: Db;
  clock: Clock;
}

export interface DatabaseProbe {
  latestMigration: string | null;
  workerSeenAt: string;
}

export function createHealthActivities({ db, clock }: HealthDeps) {
  return {
    /** Proves the worker reaches PostgreSQL with the schema applied, and records when it last did. */
    async probeDatabase(workerIdentity: string): Promise<DatabaseProbe> {
      const latest = await sql<{ name: string }>`select name from kysely_migration order by name desc limit 1`.execute(
        db,
      );
      const seenAt = clock.now();
      await db
        .insertInto('installation')
        .values({ key: `worker.${workerIdentity}.seen_at`, value: seenAt.toISOString(), updated_at: seenAt })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: seenAt.toISOString(), updated_at: seenAt }))
        .execute();
      return { latestMigration: latest.rows[0]?.name ?? null, workerSeenAt: seenAt.toISOString() };
    },
  };
}
