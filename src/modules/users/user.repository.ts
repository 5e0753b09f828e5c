import { EntityRepository } from '@mikro-orm/postgresql';
import { normalizeEmail, type User } from './user.entity';

export class UserRepository extends EntityRepository<User> {
  findActiveByEmail(email: string, options: { withPasswordHash?: boolean } = {}): Promise<User | null> {
    return this.findOne(
      { email: normalizeEmail(email) },
      options.withPasswordHash ? { populate: ['passwordHash'] } : {},
    );
  }

  findActiveById(id: string): Promise<User | null> {
    return this.findOne({ id });
  }
}
