import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook deliveries are retried from the database, not from an instance's memory: a pending
 * delivery has the time of its next attempt, and any instance claims due ones (a claim moves that
 * time past the attempt's timeout, so an instance that stops mid-attempt leaves the delivery to
 * another). The organization's signing secret gets a column for its sealed (encrypted) form; the
 * application moves existing secrets into it at start, as SQL does not hold the encryption key,
 * and the plain column is then always null.
 */
export class Migration20261130070000_spend_webhook_retries extends Migration {
  override name = 'Migration20261130070000_spend_webhook_retries';

  override up(): void | Promise<void> {
    this.addSql(`alter table "spend_webhook_deliveries" add column "next_attempt_at" timestamptz null;`);
    this.addSql(`update "spend_webhook_deliveries" set "next_attempt_at" = "updated_at" where "status" = 'pending';`);
    this.addSql(
      `alter table "spend_webhook_deliveries" add constraint "spend_webhook_deliveries_next_attempt_check" check (("status" = 'pending') = ("next_attempt_at" is not null));`,
    );
    this.addSql(
      `create index "spend_webhook_deliveries_due" on "spend_webhook_deliveries" ("next_attempt_at") where "status" = 'pending';`,
    );
    this.addSql(`alter table "spend_limit_settings" add column "webhook_secret_sealed" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "spend_limit_settings" drop column "webhook_secret_sealed";`);
    this.addSql(`drop index if exists "spend_webhook_deliveries_due";`);
    this.addSql(
      `alter table "spend_webhook_deliveries" drop constraint if exists "spend_webhook_deliveries_next_attempt_check";`,
    );
    this.addSql(`alter table "spend_webhook_deliveries" drop column "next_attempt_at";`);
  }
}
