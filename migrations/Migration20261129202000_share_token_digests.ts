import { Migration } from '@mikro-orm/migrations';

/**
 * Share tokens are no longer stored: links are found by the token's SHA-256 digest, and the token
 * is kept only encrypted by the application (`token_ciphertext`, so those who may share a session
 * can see its link again). Existing links keep working (their digest is computed here); their
 * token cannot be encrypted in SQL, so it is not shown again: sharing such a session again
 * replaces the link. Down: the plaintext cannot come back, so every link is revoked and given a
 * placeholder token.
 */
export class Migration20261129202000_share_token_digests extends Migration {
  override name = 'Migration20261129202000_share_token_digests';

  override up(): void | Promise<void> {
    this.addSql(
      `alter table "share_links" add column "token_digest" varchar(64) null, add column "token_ciphertext" text null;`,
    );
    this.addSql(`update "share_links" set "token_digest" = encode(sha256(convert_to("token", 'UTF8')), 'hex');`);
    this.addSql(`alter table "share_links" alter column "token_digest" set not null;`);
    this.addSql(`alter table "share_links" add constraint "share_links_token_digest_unique" unique ("token_digest");`);
    this.addSql(`alter table "share_links" drop constraint "share_links_token_unique";`);
    this.addSql(`alter table "share_links" drop column "token";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "share_links" add column "token" varchar(64) null;`);
    this.addSql(
      `update "share_links" set "token" = 'shr_' || left("token_digest", 32), "revoked_at" = coalesce("revoked_at", now());`,
    );
    this.addSql(`alter table "share_links" alter column "token" set not null;`);
    this.addSql(`alter table "share_links" add constraint "share_links_token_unique" unique ("token");`);
    this.addSql(`alter table "share_links" drop constraint "share_links_token_digest_unique";`);
    this.addSql(`alter table "share_links" drop column "token_digest", drop column "token_ciphertext";`);
  }
}
