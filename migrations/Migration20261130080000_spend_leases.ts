import { Migration } from '@mikro-orm/migrations';

/**
 * Spend leases: each instance holds, per counter it uses, an amount reserved on that counter on
 * its behalf (counted in the counter's `reserved`, so every other instance sees it) with an
 * expiry the instance renews while it is alive. Calls are admitted from the lease in memory and
 * settled into it; the instance flushes what they spent in batches.
 *
 * `lamplight_spend_lease` is the one statement an instance runs per organization, to flush, to
 * renew, to return unused headroom and to grow its leases, all at once:
 *   1. for every counter, in the order given (sorted by the caller, so two statements lock in the
 *      same order): lock it, release the expired leases of any instance (a crashed instance's
 *      headroom comes back here), move p_spent into `spent` and p_release out of this
 *      instance's lease and of `reserved`, and renew the lease's expiry;
 *   2. if any counter has less room (cap − spent − reserved) than p_need, grant nothing and
 *      report it full; otherwise grant each counter: while room stays at or above
 *      p_exact_below, an eighth of the room, at least p_demand and at most p_demand + p_extra;
 *      below p_exact_below, p_demand exactly. Never more than the room.
 * The flushed spend and the released leases stay committed when a grant is refused.
 */
export class Migration20261130080000_spend_leases extends Migration {
  override name = 'Migration20261130080000_spend_leases';

  override up(): void | Promise<void> {
    this.addSql(`create table "spend_leases" (
  "organization_id" uuid not null,
  "counter_key" varchar(80) not null,
  "period_start" timestamptz not null,
  "instance_id" uuid not null,
  "amount" bigint not null check ("amount" >= 0),
  "expires_at" timestamptz not null,
  primary key ("organization_id", "counter_key", "period_start", "instance_id")
);`);
    this.addSql(
      `alter table "spend_leases" add constraint "spend_leases_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );

    this
      .addSql(`create or replace function "lamplight_spend_lease"(p_org uuid, p_instance uuid, p_ttl_ms integer, p_keys text[], p_starts timestamptz[],
  p_spent bigint[], p_release bigint[], p_need bigint[], p_demand bigint[], p_extra bigint[], p_exact_below bigint[], p_caps bigint[], p_seeds bigint[])
returns table ("out_key" text, "out_start" timestamptz, "out_spent" bigint, "out_reserved" bigint, "out_lease" bigint,
  "out_granted" bigint, "out_exact" boolean, "out_full" boolean) language plpgsql as $$
declare
  n integer := coalesce(array_length(p_keys, 1), 0);
  i integer;
  v_expires timestamptz := now() + make_interval(secs => p_ttl_ms / 1000.0);
  v_room bigint[];
  v_found boolean[];
  v_any_full boolean := false;
  v_swept bigint;
  v_lease bigint;
  v_release bigint;
  v_grant bigint;
  r record;
begin
  v_room := array_fill(0::bigint, array[greatest(n, 1)]);
  v_found := array_fill(false, array[greatest(n, 1)]);
  for i in 1 .. n loop
    if p_need[i] > 0 or p_demand[i] > 0 then
      insert into "spend_counters" ("organization_id", "counter_key", "period_start", "spent", "reserved")
        values (p_org, p_keys[i], p_starts[i], p_seeds[i], 0)
        on conflict ("organization_id", "counter_key", "period_start") do update set "spent" = excluded."spent"
          where "spend_counters"."spent" < excluded."spent";
    end if;
    perform 1 from "spend_counters" c
      where c."organization_id" = p_org and c."counter_key" = p_keys[i] and c."period_start" = p_starts[i] for update;
    if not found then
      continue; -- the limit was deleted with its counters: nothing to flush into
    end if;
    v_found[i] := true;
    with gone as (
      delete from "spend_leases" l
        where l."organization_id" = p_org and l."counter_key" = p_keys[i] and l."period_start" = p_starts[i]
          and l."expires_at" < now()
        returning l."amount")
    select coalesce(sum("amount"), 0) into v_swept from gone;
    select l."amount" into v_lease from "spend_leases" l
      where l."organization_id" = p_org and l."counter_key" = p_keys[i] and l."period_start" = p_starts[i]
        and l."instance_id" = p_instance;
    v_release := least(p_release[i], coalesce(v_lease, 0));
    update "spend_counters" c set "spent" = c."spent" + p_spent[i],
        "reserved" = greatest(c."reserved" - v_swept - v_release, 0), "updated_at" = now()
      where c."organization_id" = p_org and c."counter_key" = p_keys[i] and c."period_start" = p_starts[i]
      returning c."spent", c."reserved" into r;
    if v_lease is not null then
      if v_lease - v_release > 0 or p_demand[i] > 0 then
        update "spend_leases" l set "amount" = l."amount" - v_release, "expires_at" = v_expires
          where l."organization_id" = p_org and l."counter_key" = p_keys[i] and l."period_start" = p_starts[i]
            and l."instance_id" = p_instance;
      else
        delete from "spend_leases" l
          where l."organization_id" = p_org and l."counter_key" = p_keys[i] and l."period_start" = p_starts[i]
            and l."instance_id" = p_instance;
      end if;
    end if;
    v_room[i] := p_caps[i] - r."spent" - r."reserved";
    if p_need[i] > 0 and v_room[i] < p_need[i] then
      v_any_full := true;
    end if;
  end loop;

  for i in 1 .. n loop
    continue when not v_found[i];
    v_grant := 0;
    if not v_any_full and p_demand[i] > 0 and v_room[i] > 0 then
      if v_room[i] < p_exact_below[i] then
        v_grant := least(v_room[i], p_demand[i]);
      else
        v_grant := least(v_room[i], greatest(p_demand[i], least(v_room[i] / 8, p_demand[i] + p_extra[i])));
      end if;
      update "spend_counters" c set "reserved" = c."reserved" + v_grant, "updated_at" = now()
        where c."organization_id" = p_org and c."counter_key" = p_keys[i] and c."period_start" = p_starts[i];
      insert into "spend_leases" ("organization_id", "counter_key", "period_start", "instance_id", "amount", "expires_at")
        values (p_org, p_keys[i], p_starts[i], p_instance, v_grant, v_expires)
        on conflict ("organization_id", "counter_key", "period_start", "instance_id")
          do update set "amount" = "spend_leases"."amount" + excluded."amount", "expires_at" = excluded."expires_at";
    end if;
    select c."spent", c."reserved" into r from "spend_counters" c
      where c."organization_id" = p_org and c."counter_key" = p_keys[i] and c."period_start" = p_starts[i];
    select l."amount" into v_lease from "spend_leases" l
      where l."organization_id" = p_org and l."counter_key" = p_keys[i] and l."period_start" = p_starts[i]
        and l."instance_id" = p_instance;
    "out_key" := p_keys[i];
    "out_start" := p_starts[i];
    "out_spent" := r."spent";
    "out_reserved" := r."reserved";
    "out_lease" := coalesce(v_lease, 0);
    "out_granted" := v_grant;
    "out_exact" := v_room[i] < p_exact_below[i];
    "out_full" := p_need[i] > 0 and v_room[i] < p_need[i];
    return next;
  end loop;
end $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(
      `drop function if exists "lamplight_spend_lease"(uuid, uuid, integer, text[], timestamptz[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[]);`,
    );
    this.addSql(`drop table if exists "spend_leases" cascade;`);
  }
}
