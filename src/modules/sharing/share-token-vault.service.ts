import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { deriveSubkey } from '../../common/crypto/keys';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * How share tokens are kept. Links are found by a SHA-256 digest of the token (a plain hash is
 * enough for 192 random bits, and PostgreSQL computes the same one, so existing links were
 * converted in SQL). So that those who may share a session can see its link again, the token is
 * also kept encrypted (AES-256-GCM, a subkey of ENCRYPTION_KEY, the organization and link ids as
 * additional data): a copy of the database alone yields no working link.
 */
@Injectable()
export class ShareTokenVault {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = deriveSubkey(config.encryptionKey, 'share-token-encryption');
  }

  static digest(token: string): string {
    return createHash('sha256').update(token, 'utf8').digest('hex');
  }

  seal(token: string, organizationId: string, linkId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(organizationId, linkId));
    const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  /** The token, or null when it was never kept (links made before tokens were encrypted) or cannot be read. */
  open(sealed: string | null | undefined, organizationId: string, linkId: string): string | null {
    const [version, body] = (sealed ?? '').split(':', 2);
    if (version !== VERSION || !body) return null;
    const raw = Buffer.from(body, 'base64');
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(organizationId, linkId));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

function aad(organizationId: string, linkId: string): Buffer {
  return Buffer.from(`lamplight:share-token:${organizationId}:${linkId}`, 'utf8');
}
