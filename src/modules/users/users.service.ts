import { Injectable } from '@nestjs/common';
import { normalizeEmail, User } from './user.entity';
import { UserRepository } from './user.repository';

@Injectable()
export class UsersService {
  constructor(private readonly users: UserRepository) {}

  findActiveById(id: string): Promise<User | null> {
    return this.users.findActiveById(id);
  }

  findActiveByEmail(email: string, options?: { withPasswordHash?: boolean }): Promise<User | null> {
    return this.users.findActiveByEmail(email, options);
  }

  /** Adds a user to the unit of work; the caller flushes, so registration stays one transaction. */
  build(email: string, name: string, passwordHash: string): User {
    return this.users.create({ email: normalizeEmail(email), name: name.trim(), passwordHash });
  }
}
