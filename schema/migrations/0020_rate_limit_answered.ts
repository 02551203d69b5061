import { type Kysely, sql } from 'kysely';
import { createAcquireFunction } from './0017_rate_limits';

/**
 * A request counts in the realm's window from its answer, not its start. QuickBooks counts a request when it arrives,
 * which is between our start and our answer: counted from its start, the next request could reach QuickBooks less than
 * a window after it (it had to travel, the next one travelled faster), so the window needed a margin of ~3 % on our
 * side; counted from the answer it never can, and the window is QuickBooks' own. Until answered a request counts as in
 * the window; one whose worker died holding it counts from the end of its lease (its answer, if any, came before).
 * Rows released by an older worker (no answered_at) still count from their start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table rate_limit_slots add column answered_at timestamptz`.execute(db);
  await sql`
    create index rate_limit_slots_realm_counted
      on rate_limit_slots (realm_id, (coalesce(answered_at, lease_until, started_at)))`.execute(db);
  // As 0017's, with every "in the window" test on the counted time, and an edge still in flight (its answer not back)
  // answered as wait_ms 0: wait for a release, as when every concurrent slot is taken.
  await sql`
    create or replace function qbsync_rate_limit_acquire(
      p_realm text, p_batch boolean, p_count integer, p_concurrent integer, p_requests integer, p_batches integer,
      p_window_ms integer, p_lease_ms integer
    ) returns table (slot bigint, wait_ms integer)
    language plpgsql volatile set search_path from current as $$
    declare
      now_ timestamptz;
      win interval := make_interval(secs => p_window_ms / 1000.0);
      since timestamptz;
      blocked timestamptz;
      free integer;
      used integer;
      edge timestamptz;
      wait numeric := 0;
    begin
      perform pg_advisory_xact_lock(hashtextextended('qbsync-rate-limit:' || p_realm, 0));
      now_ := clock_timestamp();
      since := now_ - win;
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
      select count(*) into used from rate_limit_slots s
        where s.realm_id = p_realm and coalesce(s.answered_at, s.lease_until, s.started_at) > since;
      free := least(free, p_requests - used);
      if free <= 0 then
        -- The request that must leave the window before one more may begin: the p_requests-th most recently counted.
        select coalesce(s.answered_at, s.lease_until, s.started_at) into edge from rate_limit_slots s
          where s.realm_id = p_realm and coalesce(s.answered_at, s.lease_until, s.started_at) > since
          order by coalesce(s.answered_at, s.lease_until, s.started_at) desc offset p_requests - 1 limit 1;
        wait := case when edge > now_ then 0 else extract(epoch from edge + win - now_) * 1000 end;
      end if;
      if p_batch then
        select count(*) into used from rate_limit_slots s
          where s.realm_id = p_realm and s.batch and coalesce(s.answered_at, s.lease_until, s.started_at) > since;
        if p_batches - used <= 0 then
          select coalesce(s.answered_at, s.lease_until, s.started_at) into edge from rate_limit_slots s
            where s.realm_id = p_realm and s.batch and coalesce(s.answered_at, s.lease_until, s.started_at) > since
            order by coalesce(s.answered_at, s.lease_until, s.started_at) desc offset p_batches - 1 limit 1;
          wait := greatest(wait, case when edge > now_ then 0 else extract(epoch from edge + win - now_) * 1000 end);
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
          where s.realm_id = p_realm and coalesce(s.answered_at, s.lease_until, s.started_at) < now_ - win * 2
            and (s.lease_until is null or s.lease_until < now_);
      end if;
      return query
        insert into rate_limit_slots (realm_id, started_at, batch, lease_until)
          select p_realm, now_, p_batch, now_ + make_interval(secs => p_lease_ms / 1000.0) from generate_series(1, free)
          returning id, 0;
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await createAcquireFunction(db);
  await sql`drop index rate_limit_slots_realm_counted`.execute(db);
  await sql`alter table rate_limit_slots drop column answered_at`.execute(db);
}
