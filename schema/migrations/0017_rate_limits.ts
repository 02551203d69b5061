import { type Kysely, sql } from 'kysely';

/**
 * QuickBooks' per-company limits (500 requests and 40 batch requests a minute, 10 in flight) kept by every worker
 * together: each request takes a slot row before it is sent and gives its lease back when answered. One function call
 * decides under a per-realm advisory lock, with PostgreSQL's clock, so workers on different hosts agree.
 * `blocked_until` is set once by the first 429 of a block: every worker waits it out, and later 429s of the same block
 * do not extend it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table rate_limit_realms (
      realm_id text primary key,
      blocked_until timestamptz,
      throttled integer not null default 0,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table rate_limit_slots (
      id bigint generated always as identity primary key,
      realm_id text not null,
      started_at timestamptz not null,
      batch boolean not null,
      lease_until timestamptz
    )`.execute(db);
  await sql`create index rate_limit_slots_realm_started on rate_limit_slots (realm_id, started_at)`.execute(db);
  await createAcquireFunction(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function qbsync_rate_limit_acquire(text, boolean, integer, integer, integer, integer, integer, integer)`.execute(
    db,
  );
  await sql`drop table rate_limit_slots`.execute(db);
  await sql`drop table rate_limit_realms`.execute(db);
}

/**
 * The acquire function. `counted`: from when a request counts in the window — its start (as this migration wrote it;
 * 0021's `down` puts it back), or its answer (migration 0021: in the window while unanswered, and a request whose worker
 * died holding it counts from the end of its lease). An edge still in flight is answered as wait_ms 0: wait for a
 * release, as when every concurrent slot is taken (counted from the start, no edge is ever in flight).
 */
export async function createAcquireFunction(db: Kysely<unknown>, counted: 'start' | 'answer' = 'start'): Promise<void> {
  const at = sql.raw(counted === 'start' ? 's.started_at' : 'coalesce(s.answered_at, s.lease_until, s.started_at)');
  // Up to p_count slots of one kind at once (one row each); or one row with a null slot and wait_ms: 0 = every
  // concurrent slot is taken (wait for a release), > 0 = the window (or a 429's block) frees one then.
  await sql`
    create or replace function qbsync_rate_limit_acquire(
      p_realm text, p_batch boolean, p_count integer, p_concurrent integer, p_requests integer, p_batches integer,
      p_window_ms integer, p_lease_ms integer
    ) returns table (slot bigint, wait_ms integer)
    language plpgsql volatile set search_path from current as $$
    declare
      now_ timestamptz;
      win interval := make_interval(secs => p_window_ms / 1000.0);
      blocked timestamptz;
      free integer;
      used integer;
      edge timestamptz;
      wait numeric := 0;
    begin
      perform pg_advisory_xact_lock(hashtextextended('qbsync-rate-limit:' || p_realm, 0));
      now_ := clock_timestamp();
      select r.blocked_until into blocked from rate_limit_realms r where r.realm_id = p_realm;
      if blocked is not null and blocked > now_ then
        return query select null::bigint, ceil(extract(epoch from blocked - now_) * 1000)::integer;
        return;
      end if;
      select count(*) into used from rate_limit_slots s where s.realm_id = p_realm and s.lease_until > now_;
      free := least(p_count, p_concurrent - used);
      if free <= 0 then
        return query select null::bigint, 0;
        return;
      end if;
      select count(*) into used from rate_limit_slots s where s.realm_id = p_realm and ${at} > now_ - win;
      free := least(free, p_requests - used);
      if free <= 0 then
        -- The request that must leave the window before one more may begin: the p_requests-th most recent.
        select ${at} into edge from rate_limit_slots s
          where s.realm_id = p_realm and ${at} > now_ - win
          order by ${at} desc offset p_requests - 1 limit 1;
        wait := case when edge > now_ then 0 else greatest(1, extract(epoch from edge + win - now_) * 1000) end;
      end if;
      if p_batch then
        select count(*) into used from rate_limit_slots s
          where s.realm_id = p_realm and s.batch and ${at} > now_ - win;
        if p_batches - used <= 0 then
          select ${at} into edge from rate_limit_slots s
            where s.realm_id = p_realm and s.batch and ${at} > now_ - win
            order by ${at} desc offset p_batches - 1 limit 1;
          wait := greatest(wait,
            case when edge > now_ then 0 else greatest(1, extract(epoch from edge + win - now_) * 1000) end);
        end if;
        free := least(free, p_batches - used);
      end if;
      if free <= 0 then
        return query select null::bigint, ceil(wait)::integer;
        return;
      end if;
      -- Housekeeping: requests that left the window (and their leases) are forgotten now and then.
      if random() < 0.05 then
        delete from rate_limit_slots s
          where s.realm_id = p_realm and ${at} < now_ - win * 2 and (s.lease_until is null or s.lease_until < now_);
      end if;
      return query
        insert into rate_limit_slots (realm_id, started_at, batch, lease_until)
          select p_realm, now_, p_batch, now_ + make_interval(secs => p_lease_ms / 1000.0) from generate_series(1, free)
          returning id, 0;
    end $$`.execute(db);
}
