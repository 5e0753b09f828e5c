import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { deriveSubkey } from '../../common/crypto/keys';
import { ProviderKeyDecryptionError } from './provider-keys.errors';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for stored provider keys: a fresh IV per encryption, and the organization and key
 * ids as additional authenticated data, so a ciphertext copied to another row or organization
 * fails to decrypt. Stored as `v1:` + base64(iv ‖ tag ‖ ciphertext).
 */
@Injectable()
export class ProviderKeyCipher {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = deriveSubkey(config.encryptionKey, 'provider-key-encryption');
  }

  encrypt(plaintext: string, organizationId: string, keyId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(organizationId, keyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(stored: string, organizationId: string, keyId: string): string {
    const [version, body] = stored.split(':', 2);
    if (version !== VERSION || !body) throw new ProviderKeyDecryptionError();
    const raw = Buffer.from(body, 'base64');
    if (raw.length <= IV_BYTES + TAG_BYTES) throw new ProviderKeyDecryptionError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(organizationId, keyId));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new ProviderKeyDecryptionError();
    }
  }
}

function aad(organizationId: string, keyId: string): Buffer {
  return Buffer.from(`lamplight:provider-key:${organizationId}:${keyId}`, 'utf8');
}
