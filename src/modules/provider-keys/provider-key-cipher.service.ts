import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { deriveSubkey } from '../../common/crypto/keys';
import { openSecret, sealSecret } from '../../common/crypto/sealed-secret';
import { ProviderKeyDecryptionError } from './provider-keys.errors';

/**
 * Stored provider keys, sealed with AES-256-GCM (see sealSecret) under their own subkey, the
 * organization and key ids as additional authenticated data.
 */
@Injectable()
export class ProviderKeyCipher {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = deriveSubkey(config.encryptionKey, 'provider-key-encryption');
  }

  encrypt(plaintext: string, organizationId: string, keyId: string): string {
    return sealSecret(this.key, plaintext, aad(organizationId, keyId));
  }

  decrypt(stored: string, organizationId: string, keyId: string): string {
    const plaintext = openSecret(this.key, stored, aad(organizationId, keyId));
    if (plaintext === null) throw new ProviderKeyDecryptionError();
    return plaintext;
  }
}

function aad(organizationId: string, keyId: string): string {
  return `lamplight:provider-key:${organizationId}:${keyId}`;
}
