import type { Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { BaseEntity } from '../../database/base.entity';
import { Organization } from '../organizations/organization.entity';
import { UserRepository } from './user.repository';

@Entity({ tableName: 'users', repository: () => UserRepository })
export class User extends BaseEntity {
  /** Stored lower-cased, so uniqueness and lookups are case-insensitive. */
  @Property({ type: 'string', length: 320 })
  @Unique({ name: 'users_email_unique' })
  email: string;

  @Property({ type: 'string', length: 200 })
  name: string;

  /** scrypt, in PasswordHasher's self-describing format; never serialised, loaded only for login. */
  @Property({ type: 'string', hidden: true, lazy: true })
  passwordHash: string;

  @ManyToOne({ entity: () => Organization, nullable: true, deleteRule: 'set null' })
  defaultOrganization?: Rel<Organization> | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
