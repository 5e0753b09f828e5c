import { Migration } from '@mikro-orm/migrations';

/**
 * Invitations: joining an organization takes the invited user's consent. One open invitation per
 * organization and email; the invitee finds theirs by email.
 */
export class Migration20261129203000_invitations extends Migration {
  override name = 'Migration20261129203000_invitations';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "invitations" ("id" uuid not null, "created_at" timestamptz not null, "organization_id" uuid not null, "email" varchar(320) not null, "role" "membership_role" not null, "invited_by_id" uuid not null, "expires_at" timestamptz not null, "accepted_at" timestamptz null, "declined_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(
      `create unique index "invitations_pending_unique" on "invitations" ("organization_id", "email") where "accepted_at" is null and "declined_at" is null and "revoked_at" is null;`,
    );
    this.addSql(`create index "invitations_email_index" on "invitations" ("email");`);
    this.addSql(
      `alter table "invitations" add constraint "invitations_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "invitations" add constraint "invitations_invited_by_id_foreign" foreign key ("invited_by_id") references "users" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "invitations" cascade;`);
  }
}
