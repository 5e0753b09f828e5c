import { Migration } from '@mikro-orm/migrations';

/** Tenant tables whose primary key was the row id alone. */
const ID_KEYED = ['api_keys', 'provider_keys', 'sessions', 'interactions', 'share_links', 'invitations', 'memberships'];

/** Tenant tables updated by the ORM's unit of work, which addresses a row by its id alone. */
const ID_INDEXED = ['api_keys', 'provider_keys', 'sessions', 'share_links', 'invitations', 'memberships'];

/** Foreign keys between tenant tables: each now carries the organization too. */
const SESSION_REFERENCES = ['interactions', 'share_links'];

/** Unique lookups by a secret's digest: unique within the organization, found by a plain index. */
const DIGESTS: { table: string; column: string; old: string; unique: string; index: string }[] = [
  {
    table: 'api_keys',
    column: 'digest',
    old: 'api_keys_digest_unique',
    unique: 'api_keys_organization_id_digest_unique',
    index: 'api_keys_digest_index',
  },
  {
    table: 'share_links',
    column: 'token_digest',
    old: 'share_links_token_digest_unique',
    unique: 'share_links_organization_id_token_digest_unique',
    index: 'share_links_token_digest_index',
  },
];

/** The summed columns of a rollup row (usage_hourly and usage_daily), in table order. */
const SUMS = [
  'requests',
  'error_requests',
  'unpriced_requests',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write5m_tokens',
  'cache_write1h_tokens',
  'cost_input_nano_usd',
  'cost_output_nano_usd',
  'cost_cache_read_nano_usd',
  'cost_cache_write5m_nano_usd',
  'cost_cache_write1h_nano_usd',
  'cost_total_nano_usd',
  'cost_tools_nano_usd',
  'cost_multipliers_nano_usd',
  'cost_cache_savings_nano_usd',
];
const list = (f: (column: string) => string) => SUMS.map(f).join(', ');

/**
 * Keys a distributed PostgreSQL (Citus) accepts, with the organization as distribution column
 * (docs/scale-out.md). Citus enforces a primary key, a unique constraint or a foreign key only
 * within one shard, so each must contain the distribution column:
 *
 * - every tenant table's primary key becomes `(organization_id, id)`;
 * - the foreign keys from interactions and share links to their session become
 *   `(organization_id, session_id) → sessions (organization_id, id)`;
 * - the API key and share-token digests are unique per organization (a digest is an HMAC of 256
 *   random bits: a collision across organizations is not a case to guard) and found by a plain index;
 * - a plain index on `id` keeps the ORM's updates by id (and any lookup by id alone) an index scan.
 *
 * `users` and `organizations` are the reference tables; tenant rows point at them freely.
 *
 * The rollup triggers become row-level: Citus runs a distributed table's triggers on the shard that
 * holds the row, where a statement's transition tables would hold one shard's rows and TRUNCATE
 * triggers would reach past it. Each row trigger touches only rows of its own organization. The
 * statement-level functions stay defined so that `down` can put their triggers back as they were.
 *
 * Every constraint keeps its name, so ORM-generated migrations find them where they expect.
 */
export class Migration20261130010000_citus_keys extends Migration {
  override name = 'Migration20261130010000_citus_keys';

  override up(): void | Promise<void> {
    for (const table of SESSION_REFERENCES)
      this.addSql(`alter table "${table}" drop constraint "${table}_session_id_foreign";`);
    for (const table of ID_KEYED) {
      this.addSql(`alter table "${table}" drop constraint "${table}_pkey";`);
      this.addSql(`alter table "${table}" add constraint "${table}_pkey" primary key ("organization_id", "id");`);
    }
    for (const table of SESSION_REFERENCES) {
      this.addSql(
        `alter table "${table}" add constraint "${table}_session_id_foreign" foreign key ("organization_id", "session_id") references "sessions" ("organization_id", "id") on delete cascade;`,
      );
    }
    for (const table of ID_INDEXED) this.addSql(`create index "${table}_id_index" on "${table}" ("id");`);
    for (const d of DIGESTS) {
      this.addSql(`alter table "${d.table}" add constraint "${d.unique}" unique ("organization_id", "${d.column}");`);
      this.addSql(`create index "${d.index}" on "${d.table}" ("${d.column}");`);
      this.addSql(`alter table "${d.table}" drop constraint "${d.old}";`);
    }

    this.addSql(`lock table "sessions", "usage_hourly" in share row exclusive mode;`);
    for (const op of ['insert', 'update', 'delete', 'truncate']) {
      this.addSql(`drop trigger "sessions_count_${op}" on "sessions";`);
      this.addSql(`drop trigger "usage_daily_${op}" on "usage_hourly";`);
    }
    // A live session counts 1 in its organization's row: +1 when one appears, -1 when one goes.
    this.addSql(`create function "lamplight_session_counts_row"() returns trigger language plpgsql as $$
begin
  if tg_op <> 'INSERT' and old.deleted_at is null then
    update organization_session_counts c set live_sessions = c.live_sessions - 1 where c.organization_id = old.organization_id;
  end if;
  if tg_op <> 'DELETE' and new.deleted_at is null then
    insert into organization_session_counts as c (organization_id, live_sessions) values (new.organization_id, 1)
    on conflict (organization_id) do update set live_sessions = c.live_sessions + 1;
  end if;
  return null;
end $$;`);
    this.addSql(
      `create trigger "sessions_count_insert" after insert on "sessions" for each row execute function "lamplight_session_counts_row"();`,
    );
    this.addSql(
      `create trigger "sessions_count_update" after update of "deleted_at", "organization_id" on "sessions" for each row when (old.deleted_at is distinct from new.deleted_at or old.organization_id is distinct from new.organization_id) execute function "lamplight_session_counts_row"();`,
    );
    this.addSql(
      `create trigger "sessions_count_delete" after delete on "sessions" for each row execute function "lamplight_session_counts_row"();`,
    );

    // A rollup row adds its difference (new minus old) to its day's row.
    const add = (row: 'new' | 'old', sign: string) => `
    insert into usage_daily as d (organization_id, day, model, ${list((c) => c)})
    values (${row}.organization_id, date_trunc('day', ${row}.hour, 'UTC'), ${row}.model, ${list((c) => `${sign}${row}.${c}`)})
    on conflict (organization_id, day, model) do update set ${list((c) => `${c} = d.${c} + excluded.${c}`)};`;
    this.addSql(`create function "lamplight_usage_daily_row"() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.organization_id = new.organization_id and old.hour = new.hour and old.model = new.model then
    insert into usage_daily as d (organization_id, day, model, ${list((c) => c)})
    values (new.organization_id, date_trunc('day', new.hour, 'UTC'), new.model, ${list((c) => `new.${c} - old.${c}`)})
    on conflict (organization_id, day, model) do update set ${list((c) => `${c} = d.${c} + excluded.${c}`)};
    return null;
  end if;
  if tg_op <> 'INSERT' then${add('old', '-')}
  end if;
  if tg_op <> 'DELETE' then${add('new', '')}
  end if;
  return null;
end $$;`);
    this.addSql(
      `create trigger "usage_daily_insert" after insert on "usage_hourly" for each row execute function "lamplight_usage_daily_row"();`,
    );
    this.addSql(
      `create trigger "usage_daily_update" after update on "usage_hourly" for each row execute function "lamplight_usage_daily_row"();`,
    );
    this.addSql(
      `create trigger "usage_daily_delete" after delete on "usage_hourly" for each row execute function "lamplight_usage_daily_row"();`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`lock table "sessions", "usage_hourly" in share row exclusive mode;`);
    for (const op of ['insert', 'update', 'delete']) {
      this.addSql(`drop trigger "sessions_count_${op}" on "sessions";`);
      this.addSql(`drop trigger "usage_daily_${op}" on "usage_hourly";`);
    }
    this.addSql(`drop function "lamplight_session_counts_row"();`);
    this.addSql(`drop function "lamplight_usage_daily_row"();`);
    this.addSql(
      `create trigger "sessions_count_insert" after insert on "sessions" referencing new table as new_rows for each statement execute function "lamplight_session_counts_insert"();`,
    );
    this.addSql(
      `create trigger "sessions_count_update" after update on "sessions" referencing old table as old_rows new table as new_rows for each statement execute function "lamplight_session_counts_update"();`,
    );
    this.addSql(
      `create trigger "sessions_count_delete" after delete on "sessions" referencing old table as old_rows for each statement execute function "lamplight_session_counts_delete"();`,
    );
    this.addSql(
      `create trigger "sessions_count_truncate" after truncate on "sessions" for each statement execute function "lamplight_session_counts_truncate"();`,
    );
    this.addSql(
      `create trigger "usage_daily_insert" after insert on "usage_hourly" referencing new table as new_rows for each statement execute function "lamplight_usage_daily_insert"();`,
    );
    this.addSql(
      `create trigger "usage_daily_update" after update on "usage_hourly" referencing old table as old_rows new table as new_rows for each statement execute function "lamplight_usage_daily_update"();`,
    );
    this.addSql(
      `create trigger "usage_daily_delete" after delete on "usage_hourly" referencing old table as old_rows for each statement execute function "lamplight_usage_daily_delete"();`,
    );
    this.addSql(
      `create trigger "usage_daily_truncate" after truncate on "usage_hourly" for each statement execute function "lamplight_usage_daily_truncate"();`,
    );

    for (const d of DIGESTS) {
      this.addSql(`alter table "${d.table}" add constraint "${d.old}" unique ("${d.column}");`);
      this.addSql(`drop index "${d.index}";`);
      this.addSql(`alter table "${d.table}" drop constraint "${d.unique}";`);
    }
    for (const table of ID_INDEXED) this.addSql(`drop index "${table}_id_index";`);
    for (const table of SESSION_REFERENCES)
      this.addSql(`alter table "${table}" drop constraint "${table}_session_id_foreign";`);
    for (const table of ID_KEYED) {
      this.addSql(`alter table "${table}" drop constraint "${table}_pkey";`);
      this.addSql(`alter table "${table}" add constraint "${table}_pkey" primary key ("id");`);
    }
    for (const table of SESSION_REFERENCES) {
      this.addSql(
        `alter table "${table}" add constraint "${table}_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on delete cascade;`,
      );
    }
  }
}
