import { EntityRepository } from '@mikro-orm/postgresql';
import type { Organization } from './organization.entity';

export class OrganizationRepository extends EntityRepository<Organization> {
  async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
    const count = await this.count(exceptId ? { slug, id: { $ne: exceptId } } : { slug });
    return count > 0;
  }
}
