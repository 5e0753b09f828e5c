import { Migration } from '@mikro-orm/migrations';

/**
 * Cross-instance cache invalidation (DESIGN section 6): any change to what the proxy's
 * per-instance caches hold (API keys and their organization, default provider keys), whoever
 * makes it (the API, a script, SQL by hand), advances the `lamplight_cache_epoch` sequence and
 * NOTIFYs `lamplight_cache_invalidation` on commit. The proxy reads the epoch with the query it
 * makes on every call anyway (the session lookup) and rechecks a cached answer when it moved, so
 * a revoked key is refused on the very next call to any instance; the notification drops cached
 * entries early, so rechecks stay rare.
 *
 * Also a covering index on the hourly rollups, so the analytics read ranges of hours from the
 * index alone (index-only scans) instead of heap rows scattered by the constant upserts.
 */
export class Migration20261123033552_cache_invalidation extends Migration {
  override name = 'Migration20261123033552_cache_invalidation';

  override up(): void | Promise<void> {
    this.addSql(
      `create index "usage_hourly_covering_index" on "usage_hourly" ("organization_id", "hour", "model") include ("requests", "error_requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write5m_tokens", "cache_write1h_tokens", "cost_input_nano_usd", "cost_output_nano_usd", "cost_cache_read_nano_usd", "cost_cache_write5m_nano_usd", "cost_cache_write1h_nano_usd", "cost_total_nano_usd");`,
    );
    this.addSql(`create sequence "lamplight_cache_epoch";`);
    this.addSql(`create or replace function "lamplight_notify_api_key"() returns trigger language plpgsql as $$
begin
  -- last_used_at moves on use and changes nothing an authentication depends on.
  if tg_op = 'UPDATE' and (to_jsonb(old) - 'last_used_at') = (to_jsonb(new) - 'last_used_at') then
    return null;
  end if;
  perform nextval('lamplight_cache_epoch');
  perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'api-key', 'key', old.id)::text);
  return null;
end $$;`);
    this.addSql(
      `create trigger "api_keys_cache_invalidation" after update or delete on "api_keys" for each row execute function "lamplight_notify_api_key"();`,
    );

    this.addSql(`create or replace function "lamplight_notify_organization"() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' or old.deleted_at is distinct from new.deleted_at then
    perform nextval('lamplight_cache_epoch');
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'api-key', 'key', '*')::text);
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', old.id)::text);
  end if;
  return null;
end $$;`);
    this.addSql(
      `create trigger "organizations_cache_invalidation" after update or delete on "organizations" for each row execute function "lamplight_notify_organization"();`,
    );

    this.addSql(`create or replace function "lamplight_notify_provider_key"() returns trigger language plpgsql as $$
begin
  perform nextval('lamplight_cache_epoch');
  perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', coalesce(new.organization_id, old.organization_id))::text);
  if tg_op = 'UPDATE' and new.organization_id is distinct from old.organization_id then
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', old.organization_id)::text);
  end if;
  return null;
end $$;`);
    this.addSql(
      `create trigger "provider_keys_cache_invalidation" after insert or update or delete on "provider_keys" for each row execute function "lamplight_notify_provider_key"();`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "provider_keys_cache_invalidation" on "provider_keys";`);
    this.addSql(`drop function if exists "lamplight_notify_provider_key"();`);
    this.addSql(`drop trigger if exists "organizations_cache_invalidation" on "organizations";`);
    this.addSql(`drop function if exists "lamplight_notify_organization"();`);
    this.addSql(`drop trigger if exists "api_keys_cache_invalidation" on "api_keys";`);
    this.addSql(`drop function if exists "lamplight_notify_api_key"();`);
    this.addSql(`drop sequence if exists "lamplight_cache_epoch";`);
    this.addSql(`drop index "usage_hourly_covering_index";`);
  }
}
