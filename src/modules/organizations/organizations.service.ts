import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Clock } from '../../common/time/clock.service';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { ApiKeysService } from '../api-keys/api-keys.service';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import {
  API_KEY_CACHE_TOPIC,
  CacheInvalidation,
  PROVIDER_KEY_CACHE_TOPIC,
  SESSION_CACHE_TOPIC,
} from '../../database/cache-invalidation';
import type {
  CreateOrganizationDto,
  MemberResponseDto,
  OrganizationResponseDto,
  UpdateMemberDto,
  UpdateOrganizationDto,
} from './dto/organization.dto';
import { Membership, Role, roleAtLeast } from './membership.entity';
import { MembershipRepository } from './membership.repository';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization } from './organization.entity';
import { OrganizationRepository } from './organization.repository';
import { OrganizationErrors } from './organizations.errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLUG_INDEX = 'organizations_slug_live_unique';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly organizations: OrganizationRepository,
    private readonly memberships: MembershipRepository,
    private readonly users: UsersService,
    private readonly invalidation: CacheInvalidation,
    private readonly apiKeys: ApiKeysService,
    private readonly clock: Clock,
  ) {}

  /**
   * The organization a request acts on: the X-Organization-Id header, else the API key's
   * organization, else the user's default (or, if that is gone, their oldest membership).
   */
  async resolveContext(principal: Principal, header: string | undefined): Promise<OrganizationContext> {
    if (header !== undefined && !UUID.test(header)) throw OrganizationErrors.badHeader();
    const requested = header?.toLowerCase();
    if (principal.kind === 'apiKey') {
      if (requested && requested !== principal.organizationId) throw OrganizationErrors.keyBoundElsewhere();
      return { organizationId: principal.organizationId, role: null };
    }
    if (requested) {
      const membership = await this.memberships.findLive(requested, principal.userId);
      if (!membership) throw OrganizationErrors.notAMember();
      return { organizationId: requested, role: membership.role };
    }
    if (principal.defaultOrganizationId) {
      const membership = await this.memberships.findLive(principal.defaultOrganizationId, principal.userId);
      if (membership) return { organizationId: membership.organization.id, role: membership.role };
    }
    const [oldest] = await this.memberships.listForUser(principal.userId);
    if (!oldest) throw OrganizationErrors.noOrganization();
    return { organizationId: oldest.organization.id, role: oldest.role };
  }

  /** A new user's personal organization, with them as owner; persisted with the caller's flush. */
  buildPersonal(user: User): Organization {
    const organization = this.em.create(Organization, {
      name: `${user.name}'s organization`,
      slug: `${slugify(user.name) || 'org'}-${randomBytes(3).toString('hex')}`,
      settings: { ...DEFAULT_ORGANIZATION_SETTINGS },
    });
    this.em.create(Membership, { organization, user, role: Role.Owner });
    return organization;
  }

  async create(userId: string, dto: CreateOrganizationDto): Promise<OrganizationResponseDto> {
    const slug = dto.slug ?? `${slugify(dto.name) || 'org'}-${randomBytes(3).toString('hex')}`;
    if (await this.organizations.slugTaken(slug)) throw OrganizationErrors.slugTaken();
    const organization = this.em.create(Organization, {
      name: dto.name.trim(),
      slug,
      settings: { ...DEFAULT_ORGANIZATION_SETTINGS },
    });
    this.em.create(Membership, { organization, user: userId, role: Role.Owner });
    // The check above is only a fast path: a concurrent request may take the slug first.
    await flushOrConflict(this.em, SLUG_INDEX, OrganizationErrors.slugTaken);
    return toOrganizationResponse(organization, Role.Owner);
  }

  async listMine(userId: string): Promise<OrganizationResponseDto[]> {
    const memberships = await this.memberships.listForUser(userId);
    return memberships.map((m) => toOrganizationResponse(m.organization, m.role));
  }

  async get(userId: string, organizationId: string): Promise<OrganizationResponseDto> {
    const membership = await this.requireMembership(userId, organizationId);
    return toOrganizationResponse(membership.organization, membership.role);
  }

  async update(userId: string, organizationId: string, dto: UpdateOrganizationDto): Promise<OrganizationResponseDto> {
    return this.whileLocked(organizationId, () => this.updateLocked(userId, organizationId, dto));
  }

  private async updateLocked(
    userId: string,
    organizationId: string,
    dto: UpdateOrganizationDto,
  ): Promise<OrganizationResponseDto> {
    const membership = await this.requireMembership(userId, organizationId, Role.Admin);
    const organization = membership.organization;
    if (dto.slug && dto.slug !== organization.slug) {
      if (await this.organizations.slugTaken(dto.slug, organization.id)) throw OrganizationErrors.slugTaken();
      organization.slug = dto.slug;
    }
    if (dto.name) organization.name = dto.name.trim();
    if (dto.settings) {
      const next = { ...organization.settings };
      if (dto.settings.sharingEnabled !== undefined) next.sharingEnabled = dto.settings.sharingEnabled;
      if (dto.settings.memberSharingEnabled !== undefined)
        next.memberSharingEnabled = dto.settings.memberSharingEnabled;
      if (dto.settings.storeContent !== undefined) next.storeContent = dto.settings.storeContent;
      if (dto.settings.defaultSessionTokenBudget !== undefined) {
        next.defaultSessionTokenBudget = dto.settings.defaultSessionTokenBudget;
      }
      if (dto.settings.allowedModels !== undefined) next.allowedModels = dto.settings.allowedModels;
      organization.settings = next;
    }
    await flushOrConflict(this.em, SLUG_INDEX, OrganizationErrors.slugTaken);
    // The proxy keeps live sessions with the organization's storeContent setting.
    if (dto.settings) {
      await this.invalidation.announce(this.em, SESSION_CACHE_TOPIC, organization.id);
      this.invalidation.clearLocal(SESSION_CACHE_TOPIC, organization.id);
    }
    return toOrganizationResponse(organization, membership.role);
  }

  /** Soft delete, by an owner. Its API keys stop working at once (authentication checks the organization). */
  async remove(userId: string, organizationId: string, now = this.clock.now()): Promise<void> {
    await this.whileLocked(organizationId, async () => {
      const membership = await this.requireMembership(userId, organizationId, Role.Owner);
      membership.organization.deletedAt = now;
      await this.em.flush();
      await this.invalidation.announce(this.em, API_KEY_CACHE_TOPIC, '*');
      await this.invalidation.announce(this.em, PROVIDER_KEY_CACHE_TOPIC, organizationId);
      await this.invalidation.announce(this.em, SESSION_CACHE_TOPIC, organizationId);
    });
    // Cached API key authentications and live sessions do not know the organization went: drop them.
    this.invalidation.clearLocal(API_KEY_CACHE_TOPIC, '*');
    this.invalidation.clearLocal(SESSION_CACHE_TOPIC, organizationId);
  }

  async listMembers(userId: string, organizationId: string): Promise<MemberResponseDto[]> {
    await this.requireMembership(userId, organizationId);
    return (await this.memberships.listForOrganization(organizationId)).map(toMemberResponse);
  }

  async updateMember(
    userId: string,
    organizationId: string,
    targetUserId: string,
    dto: UpdateMemberDto,
  ): Promise<MemberResponseDto> {
    const { member, keys } = await this.whileLocked(organizationId, () =>
      this.updateMemberLocked(userId, organizationId, targetUserId, dto),
    );
    this.apiKeys.forgetKeys(keys);
    return member;
  }

  private async updateMemberLocked(
    userId: string,
    organizationId: string,
    targetUserId: string,
    dto: UpdateMemberDto,
  ): Promise<{ member: MemberResponseDto; keys: string[] }> {
    const actor = await this.requireMembership(userId, organizationId);
    const target = await this.requireMember(organizationId, targetUserId);
    if (targetUserId === userId) {
      if (roleAtLeast(dto.role, actor.role) && dto.role !== actor.role) throw OrganizationErrors.cannotRaiseOwnRole();
    } else {
      if (!roleAtLeast(actor.role, Role.Admin)) throw OrganizationErrors.roleTooLow(Role.Admin);
      // Changing someone's role needs at least their current role and the one given.
      if (!roleAtLeast(actor.role, target.role) || !roleAtLeast(actor.role, dto.role)) {
        throw OrganizationErrors.roleTooLow(Role.Owner);
      }
    }
    if (target.role === Role.Owner && dto.role !== Role.Owner) await this.ensureAnotherOwner(organizationId);
    target.role = dto.role;
    await this.em.flush();
    // API keys need an admin behind them: a demotion suspends the member's keys, a promotion lifts that.
    const keys = await this.apiKeys.followCreatorStanding(
      organizationId,
      targetUserId,
      roleAtLeast(dto.role, Role.Admin) ? 'admin' : 'below-admin',
    );
    return { member: toMemberResponse(target), keys };
  }

  /** Admins remove members and admins, owners anyone; anybody may leave. The last owner stays. */
  async removeMember(userId: string, organizationId: string, targetUserId: string): Promise<void> {
    const keys = await this.whileLocked(organizationId, () =>
      this.removeMemberLocked(userId, organizationId, targetUserId),
    );
    this.apiKeys.forgetKeys(keys);
  }

  private async removeMemberLocked(userId: string, organizationId: string, targetUserId: string): Promise<string[]> {
    const actor = await this.requireMembership(userId, organizationId);
    const target = await this.requireMember(organizationId, targetUserId);
    if (targetUserId !== userId) {
      if (!roleAtLeast(actor.role, Role.Admin)) throw OrganizationErrors.roleTooLow(Role.Admin);
      if (!roleAtLeast(actor.role, target.role)) throw OrganizationErrors.roleTooLow(Role.Owner);
    }
    if (target.role === Role.Owner) await this.ensureAnotherOwner(organizationId);
    this.em.remove(target);
    await this.em.flush();
    // The member's API keys go with them, in the same transaction (and, announced in it, from every instance's cache).
    return this.apiKeys.followCreatorStanding(organizationId, targetUserId, 'removed');
  }

  /**
   * Runs a change to one organization in a transaction that first locks its row, so concurrent
   * changes see each other's results: two owners leaving at once cannot leave none.
   */
  private whileLocked<T>(organizationId: string, work: () => Promise<T>): Promise<T> {
    return this.em.transactional(async () => {
      if (UUID.test(organizationId)) await this.organizations.lockForChange(organizationId);
      return work();
    });
  }

  /** Whether the user is a member of the (live) organization. */
  async isMember(organizationId: string, userId: string): Promise<boolean> {
    return UUID.test(userId) && (await this.memberships.findLive(organizationId, userId)) !== null;
  }

  /** A non-member gets 404, never 403: another organization's existence is not revealed. */
  private async requireMembership(userId: string, organizationId: string, minimum?: Role): Promise<Membership> {
    const membership = UUID.test(organizationId) ? await this.memberships.findLive(organizationId, userId) : null;
    if (!membership) throw OrganizationErrors.notFound();
    if (minimum && !roleAtLeast(membership.role, minimum)) throw OrganizationErrors.roleTooLow(minimum);
    return membership;
  }

  private async requireMember(organizationId: string, userId: string): Promise<Membership> {
    const membership = UUID.test(userId) ? await this.memberships.findLive(organizationId, userId) : null;
    if (!membership) throw OrganizationErrors.memberNotFound();
    await this.em.populate(membership, ['user']);
    return membership;
  }

  private async ensureAnotherOwner(organizationId: string): Promise<void> {
    if ((await this.memberships.countOwners(organizationId)) <= 1) throw OrganizationErrors.lastOwner();
  }
}

/** Flushes, turning a violation of the named unique constraint into the given conflict. */
async function flushOrConflict(em: EntityManager, constraint: string, conflict: () => Error): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException && error.message.includes(constraint)) throw conflict();
    throw error;
  }
}

function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
}

function toOrganizationResponse(organization: Organization, role: Role): OrganizationResponseDto {
  return {
    id: organization.id,
    name: organization.name,
    slug: organization.slug,
    settings: { ...DEFAULT_ORGANIZATION_SETTINGS, ...organization.settings },
    role,
    createdAt: organization.createdAt.toISOString(),
  };
}

function toMemberResponse(membership: Membership): MemberResponseDto {
  return {
    userId: membership.user.id,
    email: membership.user.email,
    name: membership.user.name,
    role: membership.role,
    joinedAt: membership.createdAt.toISOString(),
  };
}
