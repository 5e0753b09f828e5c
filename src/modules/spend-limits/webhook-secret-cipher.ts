import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { deriveSubkey } from '../../common/crypto/keys';
import { openSecret, sealSecret } from '../../common/crypto/sealed-secret';

/**
 * An organization's webhook signing secret at rest: sealed as provider keys are (AES-256-GCM,
 * see sealSecret), under its own subkey, bound to the organization.
 */
@Injectable()
export class WebhookSecretCipher {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = deriveSubkey(config.encryptionKey, 'spend-webhook-secret-encryption');
  }

  seal(organizationId: string, secret: string): string {
    return sealSecret(this.key, secret, aad(organizationId));
  }

  /** The secret, or null when the stored value cannot be opened (another key, another organization's, altered). */
  open(organizationId: string, sealed: string): string | null {
    return openSecret(this.key, sealed, aad(organizationId));
  }
}

function aad(organizationId: string): string {
  return `lamplight:spend-webhook-secret:${organizationId}`;
}
