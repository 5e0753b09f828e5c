import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from './app-config';
import { ConfigValidationError } from './env.schema';

const JWT_SECRET = 'a-production-jwt-secret-of-at-least-32-chars';
const ENCRYPTION_KEY = `hex:${'ab'.repeat(32)}`;

/** The error loadAppConfig throws for `env`, or a failure if it does not throw one. */
function configError(env: Record<string, string | undefined>): ConfigValidationError {
  try {
    loadAppConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return error as ConfigValidationError;
  }
  throw new Error('loadAppConfig accepted an invalid environment');
}

describe('loadAppConfig', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lamplight-config-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the docs by default outside production, and as DOCS_ENABLED says', () => {
    expect(loadAppConfig({ DATA_DIR: dataDir }).docsEnabled).toBe(true);
    expect(loadAppConfig({ DATA_DIR: dataDir, DOCS_ENABLED: 'false' }).docsEnabled).toBe(false);
    expect(
      loadAppConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET, ENCRYPTION_KEY, DOCS_ENABLED: 'true' })
        .docsEnabled,
    ).toBe(true);
    expect(configError({ DATA_DIR: dataDir, DOCS_ENABLED: 'no' }).message).toContain('DOCS_ENABLED');
  });

  describe('production', () => {
    it('refuses to start without JWT_SECRET and ENCRYPTION_KEY, naming both, and writes no secrets', () => {
      const error = configError({ NODE_ENV: 'production', DATA_DIR: dataDir });
      expect(error.message).toContain('JWT_SECRET');
      expect(error.message).toContain('ENCRYPTION_KEY');
      expect(error.problems).toHaveLength(2);
      expect(() => statSync(join(dataDir, 'secrets.json'))).toThrow();
    });

    it('names only the missing one when the other is given', () => {
      const noKey = configError({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET });
      expect(noKey.message).toContain('ENCRYPTION_KEY');
      expect(noKey.message).not.toContain('JWT_SECRET');
      const noSecret = configError({ NODE_ENV: 'production', DATA_DIR: dataDir, ENCRYPTION_KEY });
      expect(noSecret.message).toContain('JWT_SECRET');
      expect(noSecret.message).not.toContain('ENCRYPTION_KEY');
    });

    it('treats empty values as missing', () => {
      const error = configError({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET: '', ENCRYPTION_KEY: '' });
      expect(error.message).toContain('JWT_SECRET');
      expect(error.message).toContain('ENCRYPTION_KEY');
    });

    it('starts with both given, using them as given', () => {
      const config = loadAppConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET, ENCRYPTION_KEY });
      expect(config.nodeEnv).toBe('production');
      expect(config.jwt.secret).toBe(JWT_SECRET);
      expect(config.encryptionKey.equals(Buffer.from('ab'.repeat(32), 'hex'))).toBe(true);
      expect(config.migrateOnStart).toBe(false);
      expect(config.docsEnabled).toBe(false);
      expect(config.notices).toEqual([]);
      expect(() => statSync(join(dataDir, 'secrets.json'))).toThrow();
    });

    it('refuses a JWT secret that is too short and an encryption key of the wrong size', () => {
      const error = configError({
        NODE_ENV: 'production',
        DATA_DIR: dataDir,
        JWT_SECRET: 'short',
        ENCRYPTION_KEY: `hex:${'ab'.repeat(16)}`,
      });
      expect(error.message).toMatch(/JWT_SECRET must be at least 32 characters/);
      expect(error.message).toMatch(/ENCRYPTION_KEY must be 32 bytes/);
    });
  });

  describe('invalid values are named in the message', () => {
    it.each([
      ['PORT', 'not-a-number'],
      ['PORT', '70000'],
      ['PORT', '3000.5'],
    ])('%s=%s', (name, value) => {
      const error = configError({ DATA_DIR: dataDir, JWT_SECRET, ENCRYPTION_KEY, [name]: value });
      expect(error.message).toContain(name);
    });

    it.each(['mysql://user@localhost/db', 'not a url', 'http://127.0.0.1:5432/db'])('DATABASE_URL=%s', (value) => {
      const error = configError({ DATA_DIR: dataDir, JWT_SECRET, ENCRYPTION_KEY, DATABASE_URL: value });
      expect(error.message).toContain('DATABASE_URL');
      expect(error.message).not.toContain('PORT');
    });

    it('lists every bad variable at once', () => {
      const error = configError({
        DATA_DIR: dataDir,
        JWT_SECRET,
        ENCRYPTION_KEY,
        PORT: 'abc',
        DATABASE_URL: 'mysql://x',
        NODE_ENV: 'staging',
      });
      expect(error.message).toContain('PORT');
      expect(error.message).toContain('DATABASE_URL');
      expect(error.message).toContain('NODE_ENV');
    });

    it('accepts good values and converts them', () => {
      const config = loadAppConfig({
        DATA_DIR: dataDir,
        JWT_SECRET,
        ENCRYPTION_KEY,
        PORT: '8080',
        DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/lamplight',
        LOGIN_RATE_LIMIT_PER_ACCOUNT: '3',
      });
      expect(config.port).toBe(8080);
      expect(config.databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/lamplight');
      expect(config.loginRateLimit).toEqual({ perIp: 20, perAccount: 3, windowSeconds: 300 });
      expect(config.jwt).toEqual({
        secret: JWT_SECRET,
        issuer: 'lamplight',
        audience: 'lamplight-api',
        ttlSeconds: 3600,
      });
    });
  });

  describe('development', () => {
    it('generates the secrets into DATA_DIR/secrets.json once and reuses them on the next start', () => {
      const first = loadAppConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
      const file = join(dataDir, 'secrets.json');
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { jwtSecret: string; encryptionKey: string };
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(first.jwt.secret).toBe(stored.jwtSecret);
      expect(first.jwt.secret.length).toBeGreaterThanOrEqual(32);
      expect(first.encryptionKey).toHaveLength(32);
      expect(stored.encryptionKey).toBe(`base64:${first.encryptionKey.toString('base64')}`);
      expect(first.notices).toEqual([expect.stringContaining(file)]);
      const writtenAt = readFileSync(file, 'utf8');

      const second = loadAppConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
      expect(second.jwt.secret).toBe(first.jwt.secret);
      expect(second.encryptionKey.equals(first.encryptionKey)).toBe(true);
      expect(second.notices).toEqual([]);
      expect(readFileSync(file, 'utf8')).toBe(writtenAt);
    });

    it('does not share generated secrets between data directories', () => {
      const other = mkdtempSync(join(tmpdir(), 'lamplight-config-'));
      try {
        const a = loadAppConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
        const b = loadAppConfig({ NODE_ENV: 'development', DATA_DIR: other });
        expect(a.jwt.secret).not.toBe(b.jwt.secret);
        expect(a.encryptionKey.equals(b.encryptionKey)).toBe(false);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('prefers secrets from the environment over generated ones', () => {
      const generated = loadAppConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
      const config = loadAppConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET });
      expect(config.jwt.secret).toBe(JWT_SECRET);
      expect(config.encryptionKey.equals(generated.encryptionKey)).toBe(true);
    });

    it('writes no file when both secrets are given', () => {
      const config = loadAppConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET, ENCRYPTION_KEY });
      expect(config.notices).toEqual([]);
      expect(() => statSync(join(dataDir, 'secrets.json'))).toThrow();
    });

    it('refuses an unreadable secrets file with a configuration error naming it', () => {
      writeFileSync(join(dataDir, 'secrets.json'), '{ not json');
      const error = configError({ NODE_ENV: 'development', DATA_DIR: dataDir });
      expect(error.message).toContain(join(dataDir, 'secrets.json'));
      expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toBe('{ not json');
    });

    it('refuses a secrets file with a missing or malformed value rather than overwriting it', () => {
      const file = join(dataDir, 'secrets.json');
      for (const content of [
        JSON.stringify({ jwtSecret: 'x'.repeat(48) }),
        JSON.stringify({ jwtSecret: 'x'.repeat(48), encryptionKey: 'hex:1234' }),
        JSON.stringify(null),
      ]) {
        writeFileSync(file, content);
        expect(configError({ NODE_ENV: 'development', DATA_DIR: dataDir }).message).toContain(file);
        expect(readFileSync(file, 'utf8')).toBe(content);
      }
    });
  });
});
