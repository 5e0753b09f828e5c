import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Clock } from '../../common/time/clock.service';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { normalizeEmail } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { InvitationResponseDto } from './dto/invitation.dto';
import type { AddMemberDto } from './dto/organization.dto';
import { Invitation, invitationStatus } from './invitation.entity';
import { InvitationRepository } from './invitation.repository';
import { Membership, Role, roleAtLeast } from './membership.entity';
import { MembershipRepository } from './membership.repository';
import { OrganizationRepository } from './organization.repository';
import { OrganizationErrors } from './organizations.errors';

/** How long an invitation may be answered. */
const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Joining an organization takes the user's consent: admins invite an email (registered or not,
 * with a role no higher than their own), the user with that email sees the invitation, accepts
 * (becoming a member) or declines; admins list and revoke pending ones; they expire after 7 days.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly invitations: InvitationRepository,
    private readonly memberships: MembershipRepository,
    private readonly organizations: OrganizationRepository,
    private readonly users: UsersService,
    private readonly clock: Clock,
  ) {}

  async invite(
    actorId: string,
    organizationId: string,
    dto: AddMemberDto,
    now = this.clock.now(),
  ): Promise<InvitationResponseDto> {
    return this.whileLocked(organizationId, async () => {
      const actor = await this.requireMembership(actorId, organizationId, Role.Admin);
      const role = dto.role ?? Role.Member;
      if (!roleAtLeast(actor.role, role)) throw OrganizationErrors.roleTooLow(role);
      const email = normalizeEmail(dto.email);
      const existing = await this.users.findActiveByEmail(email);
      if (existing && (await this.memberships.findLive(organizationId, existing.id)))
        throw OrganizationErrors.alreadyMember();
      const open = await this.invitations.findOpen(organizationId, email);
      if (open && open.expiresAt > now) throw OrganizationErrors.invitationPending();
      if (open) {
        open.revokedAt = now;
        await this.em.flush();
      }
      const invitation = this.em.create(Invitation, {
        organization: actor.organization,
        email,
        role,
        invitedBy: actorId,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
        createdAt: now,
      });
      try {
        await this.em.flush();
      } catch (error) {
        if (
          error instanceof UniqueConstraintViolationException &&
          error.message.includes('invitations_pending_unique')
        ) {
          throw OrganizationErrors.invitationPending();
        }
        throw error;
      }
      await this.em.populate(invitation, ['invitedBy']);
      return toInvitationResponse(invitation, now);
    });
  }

  async listForOrganization(
    actorId: string,
    organizationId: string,
    now = this.clock.now(),
  ): Promise<InvitationResponseDto[]> {
    await this.requireMembership(actorId, organizationId, Role.Admin);
    return (await this.invitations.listPendingForOrganization(organizationId, now)).map((i) =>
      toInvitationResponse(i, now),
    );
  }

  async revoke(actorId: string, organizationId: string, invitationId: string, now = this.clock.now()): Promise<void> {
    await this.whileLocked(organizationId, async () => {
      await this.requireMembership(actorId, organizationId, Role.Admin);
      const invitation = UUID.test(invitationId)
        ? await this.invitations.findInOrganization(organizationId, invitationId)
        : null;
      if (!invitation) throw OrganizationErrors.invitationNotFound();
      const status = invitationStatus(invitation, now);
      if (status === 'revoked') return;
      if (status !== 'pending') throw OrganizationErrors.invitationClosed(status);
      invitation.revokedAt = now;
      await this.em.flush();
    });
  }

  async listMine(userId: string, now = this.clock.now()): Promise<InvitationResponseDto[]> {
    const user = await this.users.findActiveById(userId);
    if (!user) return [];
    return (await this.invitations.listPendingForEmail(normalizeEmail(user.email), now)).map((i) =>
      toInvitationResponse(i, now),
    );
  }

  /** Joins the organization with the invited role. */
  async accept(userId: string, invitationId: string, now = this.clock.now()): Promise<InvitationResponseDto> {
    const invitation = await this.requireOwnInvitation(userId, invitationId);
    return this.whileLocked(invitation.organization.id, async () => {
      await this.em.refresh(invitation);
      const status = invitationStatus(invitation, now);
      if (status !== 'pending') throw OrganizationErrors.invitationClosed(status);
      if (await this.memberships.findLive(invitation.organization.id, userId)) throw OrganizationErrors.alreadyMember();
      invitation.acceptedAt = now;
      this.em.create(Membership, { organization: invitation.organization, user: userId, role: invitation.role });
      try {
        await this.em.flush();
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) throw OrganizationErrors.alreadyMember();
        throw error;
      }
      return toInvitationResponse(invitation, now);
    });
  }

  async decline(userId: string, invitationId: string, now = this.clock.now()): Promise<InvitationResponseDto> {
    const invitation = await this.requireOwnInvitation(userId, invitationId);
    const status = invitationStatus(invitation, now);
    if (status !== 'pending') throw OrganizationErrors.invitationClosed(status);
    invitation.declinedAt = now;
    await this.em.flush();
    return toInvitationResponse(invitation, now);
  }

  /** Someone else's invitation is 404, as an unknown one is. */
  private async requireOwnInvitation(userId: string, invitationId: string): Promise<Invitation> {
    const user = await this.users.findActiveById(userId);
    const invitation =
      user && UUID.test(invitationId)
        ? await this.invitations.findForEmail(invitationId, normalizeEmail(user.email))
        : null;
    if (!invitation) throw OrganizationErrors.invitationNotFound();
    return invitation;
  }

  private whileLocked<T>(organizationId: string, work: () => Promise<T>): Promise<T> {
    return this.em.transactional(async () => {
      if (UUID.test(organizationId)) await this.organizations.lockForChange(organizationId);
      return work();
    });
  }

  private async requireMembership(userId: string, organizationId: string, minimum: Role): Promise<Membership> {
    const membership = UUID.test(organizationId) ? await this.memberships.findLive(organizationId, userId) : null;
    if (!membership) throw OrganizationErrors.notFound();
    if (!roleAtLeast(membership.role, minimum)) throw OrganizationErrors.roleTooLow(minimum);
    return membership;
  }
}

function toInvitationResponse(invitation: Invitation, now: Date): InvitationResponseDto {
  return {
    id: invitation.id,
    organizationId: invitation.organization.id,
    organizationName: invitation.organization.name,
    email: invitation.email,
    role: invitation.role,
    invitedBy: { userId: invitation.invitedBy.id, name: invitation.invitedBy.name, email: invitation.invitedBy.email },
    status: invitationStatus(invitation, now),
    createdAt: invitation.createdAt.toISOString(),
    expiresAt: invitation.expiresAt.toISOString(),
  };
}
