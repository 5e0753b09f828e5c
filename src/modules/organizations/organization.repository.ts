import { EntityRepository } from '@mikro-orm/postgresql';
import type { Organization } from './organization.entity';

export class OrganizationRepository extends EntityRepository<Organization> {
  async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
    const count = await this.count(exceptId ? { slug, id: { $ne: exceptId } } : { slug });
    return count > 0;
  }

  /**
   * Holds the organization's row until the current transaction ends, so changes to its members
   * and settings run one at a time (the last-owner rule is a read-then-write). `for no key update`
   * does not block rows of other tables that merely reference the organization.
   */
  async lockForChange(id: string): Promise<void> {
    await this.getEntityManager().execute('select "id" from "organizations" where "id" = ? for no key update', [id]);
  }
}
