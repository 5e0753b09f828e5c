import { Migration } from '@mikro-orm/migrations';

/**
 * A key never exceeds its creator's current standing: when the creator leaves the organization
 * or falls below admin, their keys are suspended (and say why). The update fires the api_keys
 * invalidation trigger, so every instance drops the keys from its cache on commit.
 */
export class Migration20261129200000_api_key_suspension extends Migration {
  override name = 'Migration20261129200000_api_key_suspension';

  override up(): void | Promise<void> {
    this.addSql(
      `alter table "api_keys" add column "suspended_at" timestamptz null, add column "suspended_reason" varchar(32) null;`,
    );
    this.addSql(
      `alter table "api_keys" add constraint "api_keys_suspended_reason_check" check ("suspended_reason" in ('creator_removed', 'creator_role_lowered') and "suspended_at" is not null or "suspended_reason" is null and "suspended_at" is null);`,
    );
    // Keys whose creator already left or is below admin are suspended now, as they would have been.
    this
      .addSql(`update "api_keys" k set "suspended_at" = now(), "suspended_reason" = case when m.id is null then 'creator_removed' else 'creator_role_lowered' end
      from "api_keys" k2 left join "memberships" m on m.organization_id = k2.organization_id and m.user_id = k2.created_by_id
      where k.id = k2.id and k.revoked_at is null and (m.id is null or m.role = 'member');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "api_keys" drop constraint "api_keys_suspended_reason_check";`);
    this.addSql(`alter table "api_keys" drop column "suspended_at", drop column "suspended_reason";`);
  }
}
