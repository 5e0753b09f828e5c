import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for a secret stored at rest: a fresh IV per encryption, and `aad` (what the value
 * belongs to: organization and row) as additional authenticated data, so a ciphertext copied to
 * another row or organization fails to decrypt. Stored as `v1:` + base64(iv ‖ tag ‖ ciphertext).
 * The key is a 32-byte subkey of the master key for one purpose (see deriveSubkey).
 */
export function sealSecret(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

/** The plaintext of a value sealSecret stored, or null when it cannot be (wrong key, altered value, another row's). */
export function openSecret(key: Buffer, stored: string, aad: string): string | null {
  const [version, body] = stored.split(':', 2);
  if (version !== VERSION || !body) return null;
  const raw = Buffer.from(body, 'base64');
  if (raw.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
