import { ApiKey } from '../modules/api-keys/api-key.entity';
import { Invitation } from '../modules/organizations/invitation.entity';
import { Membership } from '../modules/organizations/membership.entity';
import { Organization } from '../modules/organizations/organization.entity';
import { ProviderKey } from '../modules/provider-keys/provider-key.entity';
import { Interaction, UsageHourly } from '../modules/recording/interaction.entity';
import { Session } from '../modules/sessions/session.entity';
import { ShareLink } from '../modules/sharing/share-link.entity';
import { User } from '../modules/users/user.entity';

/** Every entity, listed once, for the app, the CLI and the migration generator alike. */
export const ENTITIES = [
  User,
  Organization,
  Membership,
  ApiKey,
  ProviderKey,
  Session,
  Interaction,
  UsageHourly,
  ShareLink,
  Invitation,
];
