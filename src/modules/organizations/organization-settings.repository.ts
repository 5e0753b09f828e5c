import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../../database/pg-pool';
import { DEFAULT_ORGANIZATION_SETTINGS, type OrganizationSettings } from './organization.entity';

/**
 * The organizations' settings for the hot paths, in plain SQL on the shared pool (outside the
 * ORM's unit of work). The organization is the row itself, so its id is the whole tenant
 * condition; a deleted organization has no settings.
 */
@Injectable()
export class OrganizationSettingsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The live organization's settings (defaults filled in), or undefined when there is none. */
  async read(organizationId: string): Promise<OrganizationSettings | undefined> {
    const { rows } = await this.pool.query<{ settings: Partial<OrganizationSettings> | null }>(
      'SELECT settings FROM organizations WHERE id = $1 AND deleted_at IS NULL',
      [organizationId],
    );
    const row = rows[0];
    return row ? { ...DEFAULT_ORGANIZATION_SETTINGS, ...(row.settings ?? {}) } : undefined;
  }
}
