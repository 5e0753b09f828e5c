import { Migration } from '@mikro-orm/migrations';

/**
 * The proxy keeps live sessions in memory too (SessionsService): every change that decides how a
 * call is routed or recorded — a session released, deleted, restored, renamed to another
 * external id or given a budget; an organization's settings or deletion — NOTIFYs
 * `lamplight_cache_invalidation` with topic `session` and the organization's id on commit. The
 * recorder's constant updates of token totals touch none of these columns and fire nothing.
 *
 * Caches are now used only while an instance's LISTEN connection is up (CacheInvalidation), so
 * the per-call epoch read is gone: the triggers stop advancing `lamplight_cache_epoch`, and it is
 * dropped.
 */
export class Migration20261123130000_session_cache_invalidation extends Migration {
  override name = 'Migration20261123130000_session_cache_invalidation';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "lamplight_notify_session"() returns trigger language plpgsql as $$
begin
  perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'session', 'key', old.organization_id)::text);
  if tg_op = 'UPDATE' and new.organization_id is distinct from old.organization_id then
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'session', 'key', new.organization_id)::text);
  end if;
  return null;
end $$;`);
    this
      .addSql(`create trigger "sessions_cache_invalidation" after update of "released_at", "deleted_at", "token_budget", "external_id", "organization_id" on "sessions" for each row
  when (old.released_at is distinct from new.released_at or old.deleted_at is distinct from new.deleted_at
    or old.token_budget is distinct from new.token_budget or old.external_id is distinct from new.external_id
    or old.organization_id is distinct from new.organization_id)
  execute function "lamplight_notify_session"();`);
    this.addSql(
      `create trigger "sessions_delete_cache_invalidation" after delete on "sessions" for each row execute function "lamplight_notify_session"();`,
    );

    this.addSql(`create or replace function "lamplight_notify_api_key"() returns trigger language plpgsql as $$
begin
  -- last_used_at moves on use and changes nothing an authentication depends on.
  if tg_op = 'UPDATE' and (to_jsonb(old) - 'last_used_at') = (to_jsonb(new) - 'last_used_at') then
    return null;
  end if;
  perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'api-key', 'key', old.id)::text);
  return null;
end $$;`);
    this.addSql(`create or replace function "lamplight_notify_organization"() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' or old.deleted_at is distinct from new.deleted_at then
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'api-key', 'key', '*')::text);
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', old.id)::text);
  end if;
  if tg_op = 'DELETE' or old.deleted_at is distinct from new.deleted_at or old.settings is distinct from new.settings then
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'session', 'key', old.id)::text);
  end if;
  return null;
end $$;`);
    this.addSql(`create or replace function "lamplight_notify_provider_key"() returns trigger language plpgsql as $$
begin
  perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', coalesce(new.organization_id, old.organization_id))::text);
  if tg_op = 'UPDATE' and new.organization_id is distinct from old.organization_id then
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', old.organization_id)::text);
  end if;
  return null;
end $$;`);
    this.addSql(`drop sequence if exists "lamplight_cache_epoch";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create sequence if not exists "lamplight_cache_epoch";`);
    this.addSql(`create or replace function "lamplight_notify_api_key"() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and (to_jsonb(old) - 'last_used_at') = (to_jsonb(new) - 'last_used_at') then
    return null;
  end if;
  perform nextval('lamplight_cache_epoch');
  perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'api-key', 'key', old.id)::text);
  return null;
end $$;`);
    this.addSql(`create or replace function "lamplight_notify_organization"() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' or old.deleted_at is distinct from new.deleted_at then
    perform nextval('lamplight_cache_epoch');
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'api-key', 'key', '*')::text);
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', old.id)::text);
  end if;
  return null;
end $$;`);
    this.addSql(`create or replace function "lamplight_notify_provider_key"() returns trigger language plpgsql as $$
begin
  perform nextval('lamplight_cache_epoch');
  perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', coalesce(new.organization_id, old.organization_id))::text);
  if tg_op = 'UPDATE' and new.organization_id is distinct from old.organization_id then
    perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'provider-key', 'key', old.organization_id)::text);
  end if;
  return null;
end $$;`);
    this.addSql(`drop trigger if exists "sessions_delete_cache_invalidation" on "sessions";`);
    this.addSql(`drop trigger if exists "sessions_cache_invalidation" on "sessions";`);
    this.addSql(`drop function if exists "lamplight_notify_session"();`);
  }
}
