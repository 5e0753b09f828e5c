import { createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { AppConfig } from '../../config/app-config';
import { deriveSubkey } from '../../common/crypto/keys';
import { DomainError } from '../../common/errors/domain-error';
import { ProviderKeyCipher } from './provider-key-cipher.service';
import { ProviderKeyDecryptionError } from './provider-keys.errors';

const cipherWith = (encryptionKey: Buffer) => new ProviderKeyCipher({ encryptionKey } as AppConfig);

describe('ProviderKeyCipher', () => {
  const masterKey = Buffer.alloc(32, 0x11);
  const cipher = cipherWith(masterKey);
  const organizationId = randomUUID();
  const keyId = randomUUID();
  const plaintext = `sk-ant-api03-${randomBytes(40).toString('base64url')}`;

  /** Asserts that decrypting throws our typed error, with a message that explains and leaks nothing. */
  function expectUnreadable(decrypt: () => unknown): void {
    let thrown: unknown;
    try {
      decrypt();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderKeyDecryptionError);
    const error = thrown as ProviderKeyDecryptionError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('PROVIDER_KEY_UNREADABLE');
    expect(error.message).toMatch(/could not be decrypted/);
    expect(error.message).toMatch(/encryption key is wrong or the stored value was altered/);
    expect(error.message).not.toContain(plaintext);
    expect(error.message).not.toContain(masterKey.toString('hex'));
  }

  it('round-trips a key', () => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    expect(cipher.decrypt(stored, organizationId, keyId)).toBe(plaintext);
  });

  it('round-trips non-ASCII and long values', () => {
    for (const value of ['ключ-🔑-clé', 'x'.repeat(10_000), 'a']) {
      expect(cipher.decrypt(cipher.encrypt(value, organizationId, keyId), organizationId, keyId)).toBe(value);
    }
  });

  it('stores "v1:" + base64(iv ‖ tag ‖ ciphertext), without the plaintext', () => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    expect(stored).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    const raw = Buffer.from(stored.slice(3), 'base64');
    // 12-byte IV, 16-byte tag, and GCM's ciphertext is as long as the plaintext.
    expect(raw.length).toBe(12 + 16 + Buffer.byteLength(plaintext));
    expect(stored).not.toContain(plaintext);
    expect(raw.toString('latin1')).not.toContain(plaintext.slice(14));
  });

  it('uses a fresh IV each time: the same key encrypts differently, and both decrypt', () => {
    const first = cipher.encrypt(plaintext, organizationId, keyId);
    const second = cipher.encrypt(plaintext, organizationId, keyId);
    expect(first).not.toBe(second);
    const ivs = new Set(
      Array.from({ length: 50 }, () =>
        Buffer.from(cipher.encrypt(plaintext, organizationId, keyId).slice(3), 'base64')
          .subarray(0, 12)
          .toString('hex'),
      ),
    );
    expect(ivs.size).toBe(50);
    expect(cipher.decrypt(first, organizationId, keyId)).toBe(plaintext);
    expect(cipher.decrypt(second, organizationId, keyId)).toBe(plaintext);
  });

  it('encrypts with a subkey derived for this purpose, not the master key itself', () => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    const raw = Buffer.from(stored.slice(3), 'base64');
    const aad = Buffer.from(`lamplight:provider-key:${organizationId}:${keyId}`, 'utf8');
    const open = (key: Buffer) => {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(aad);
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    };
    expect(open(deriveSubkey(masterKey, 'provider-key-encryption'))).toBe(plaintext);
    expect(() => open(masterKey)).toThrow();
    expect(() => open(deriveSubkey(masterKey, 'api-key-digest'))).toThrow();
  });

  it.each([
    ['in the IV', 0],
    ['in the tag', 12],
    ['in the ciphertext', 12 + 16 + 3],
    ['in the last byte', -1],
  ])('refuses a flipped bit %s', (_where, offset) => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    const raw = Buffer.from(stored.slice(3), 'base64');
    const index = offset < 0 ? raw.length + offset : offset;
    raw[index] ^= 0x01;
    expectUnreadable(() => cipher.decrypt(`v1:${raw.toString('base64')}`, organizationId, keyId));
  });

  it('refuses a truncated value', () => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    const raw = Buffer.from(stored.slice(3), 'base64');
    expectUnreadable(() =>
      cipher.decrypt(`v1:${raw.subarray(0, raw.length - 1).toString('base64')}`, organizationId, keyId),
    );
    expectUnreadable(() => cipher.decrypt(`v1:${raw.subarray(0, 28).toString('base64')}`, organizationId, keyId));
    expectUnreadable(() => cipher.decrypt('v1:', organizationId, keyId));
    expectUnreadable(() => cipher.decrypt('', organizationId, keyId));
  });

  it('refuses a different encryption key', () => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    expectUnreadable(() => cipherWith(Buffer.alloc(32, 0x22)).decrypt(stored, organizationId, keyId));
    expectUnreadable(() => cipherWith(randomBytes(32)).decrypt(stored, organizationId, keyId));
    // The same key material in a fresh instance still reads it.
    expect(cipherWith(Buffer.from(masterKey)).decrypt(stored, organizationId, keyId)).toBe(plaintext);
  });

  it('refuses a ciphertext moved to another organization', () => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    expectUnreadable(() => cipher.decrypt(stored, randomUUID(), keyId));
  });

  it('refuses a ciphertext moved to another key id', () => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    expectUnreadable(() => cipher.decrypt(stored, organizationId, randomUUID()));
    // Swapping organization and key id is another binding, not the same one.
    expectUnreadable(() => cipher.decrypt(stored, keyId, organizationId));
  });

  it.each(['v2', 'v0', 'V1', '', 'v1 '])('refuses the version prefix %j', (version) => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    expectUnreadable(() => cipher.decrypt(`${version}:${stored.slice(3)}`, organizationId, keyId));
  });

  it('refuses a value with no version prefix at all', () => {
    const stored = cipher.encrypt(plaintext, organizationId, keyId);
    expectUnreadable(() => cipher.decrypt(stored.slice(3), organizationId, keyId));
    expectUnreadable(() => cipher.decrypt(plaintext, organizationId, keyId));
  });
});
