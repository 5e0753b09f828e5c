import { Role } from '../membership.entity';
import type { InvitationStatus } from '../invitation.entity';

export class InvitationResponseDto {
  id: string;
  organizationId: string;
  /** @example "Acme Research" */
  organizationName: string;
  /** @example "grace@example.com" */
  email: string;
  role: Role;
  /** The user who invited. */
  invitedBy: { userId: string; name: string; email: string };
  /** pending, accepted, declined, revoked or expired. */
  status: InvitationStatus;
  createdAt: string;
  expiresAt: string;
}

export class InvitationListResponseDto {
  object: 'list';
  data: InvitationResponseDto[];
}
