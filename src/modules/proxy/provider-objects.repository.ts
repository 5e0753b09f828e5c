import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../../database/pg-pool';
import { TenantSql } from '../../database/tenant-sql';

export type ProviderObjectKind = 'message_batch' | 'file';

/** For a batch: where each request's result is recorded. */
export interface BatchDetails {
  /** The session of every request without its own (the session header, if one was sent). */
  sessionExternalId: string | null;
  /** custom_id → the session named by that request's metadata.user_id. */
  sessions: Record<string, string>;
}

/**
 * Which organization created which batch or file through Lamplight. Every statement names the
 * organization: an id another organization created is, to the caller, one that does not exist.
 */
@Injectable()
export class ProviderObjectsRepository {
  private readonly sql: TenantSql;

  constructor(@Inject(PG_POOL) pool: Pool) {
    this.sql = TenantSql.overPool(pool);
  }

  async add(
    organizationId: string,
    kind: ProviderObjectKind,
    objectId: string,
    owner: { userId: string | null; apiKeyId: string | null },
    details: BatchDetails | null = null,
  ): Promise<void> {
    await this.sql.run(
      organizationId,
      `INSERT INTO provider_objects (organization_id, kind, object_id, user_id, api_key_id, details)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (organization_id, kind, object_id) DO NOTHING`,
      [kind, objectId, owner.userId, owner.apiKeyId, details === null ? null : JSON.stringify(details)],
    );
  }

  /** The object, when this organization created it and has not deleted it. */
  async find(
    organizationId: string,
    kind: ProviderObjectKind,
    objectId: string,
  ): Promise<{ details: BatchDetails | null; createdAt: Date } | null> {
    const row = await this.sql.one<{ details: BatchDetails | null; createdAt: Date }>(
      organizationId,
      `SELECT details, created_at AS "createdAt" FROM provider_objects WHERE organization_id = $1 AND kind = $2 AND object_id = $3 AND deleted_at IS NULL`,
      [kind, objectId],
    );
    return row ?? null;
  }

  /** Of these ids, the ones this organization created and has not deleted. */
  async owned(organizationId: string, kind: ProviderObjectKind, objectIds: string[]): Promise<Set<string>> {
    if (objectIds.length === 0) return new Set();
    const rows = await this.sql.rows<{ object_id: string }>(
      organizationId,
      `SELECT object_id FROM provider_objects WHERE organization_id = $1 AND kind = $2 AND object_id = ANY($3::text[]) AND deleted_at IS NULL`,
      [kind, objectIds],
    );
    return new Set(rows.map((row) => row.object_id));
  }

  async markDeleted(organizationId: string, kind: ProviderObjectKind, objectId: string): Promise<void> {
    await this.sql.run(
      organizationId,
      `UPDATE provider_objects SET deleted_at = now() WHERE organization_id = $1 AND kind = $2 AND object_id = $3 AND deleted_at IS NULL`,
      [kind, objectId],
    );
  }
}
