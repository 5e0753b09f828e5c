import { EntityRepository } from '@mikro-orm/postgresql';
import type { Session } from './session.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Queries run under the tenant and soft-delete filters: only the current organization's live rows. */
export class SessionRepository extends EntityRepository<Session> {
  /**
   * A session by its UUID or by its external id (seed 002's dual id). An external id names the
   * organization's open session with it, or else the most recent one (a released session keeps its
   * external id, and a later call may have opened a new session under it).
   */
  async findByIdOrExternalId(idOrExternalId: string): Promise<Session | null> {
    if (UUID.test(idOrExternalId)) {
      const byId = await this.findOne({ id: idOrExternalId.toLowerCase() });
      if (byId) return byId;
    }
    const [latest] = await this.find(
      { externalId: idOrExternalId },
      { orderBy: { releasedAt: 'asc nulls first', createdAt: 'desc', id: 'desc' }, limit: 1 },
    );
    return latest ?? null;
  }
}
