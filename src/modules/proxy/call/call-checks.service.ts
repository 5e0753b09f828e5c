import { Injectable } from '@nestjs/common';
import type { OrganizationContext, PresentedCredentials } from '../../../common/auth/principal';
import { ShutdownState } from '../../../common/lifecycle/shutdown-state.service';
import { OrganizationSettingsService } from '../../organizations/organization-settings.service';
import { ProviderKeysService } from '../../provider-keys/provider-keys.service';
import { ProxyErrors } from '../proxy.errors';

/** What every proxied call is checked for before anything goes upstream. */
@Injectable()
export class CallChecks {
  constructor(
    private readonly shutdown: ShutdownState,
    private readonly organizationSettings: OrganizationSettingsService,
    private readonly providerKeys: ProviderKeysService,
  ) {}

  /** New calls are refused (503) once shutdown has begun. */
  notDraining(): void {
    if (this.shutdown.draining) throw ProxyErrors.draining();
  }

  /** The organization's model policy. */
  async model(organization: OrganizationContext, model: unknown): Promise<void> {
    const policy = await this.organizationSettings.modelPolicy(organization.organizationId);
    if (policy.restricted && !(typeof model === 'string' && policy.allows(model))) {
      throw ProxyErrors.modelNotAllowed(typeof model === 'string' ? model : String(model));
    }
  }

  /**
   * The Anthropic key for the call: the one the client sent (as the access guard read it), else
   * the organization's default stored key. Subscription OAuth tokens are refused wherever they appear.
   * `cached`: the stored key may come from the per-instance cache (every call but count_tokens).
   */
  async providerKey(
    credentials: PresentedCredentials,
    organization: OrganizationContext,
    cached = true,
  ): Promise<string> {
    if (credentials.subscriptionToken) throw ProxyErrors.subscriptionToken();
    if (credentials.anthropicKey) return credentials.anthropicKey;
    const stored = cached
      ? await this.providerKeys.cachedDefaultKey(organization.organizationId)
      : await this.providerKeys.defaultKeyPlaintext(organization.organizationId);
    if (!stored) throw ProxyErrors.noProviderKey();
    return stored;
  }
}
