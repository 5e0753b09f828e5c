import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDotEnv } from './dotenv';

describe('loadDotEnv', () => {
  const directory = mkdtempSync(join(tmpdir(), 'lamplight-dotenv-'));

  it('adds the variables the environment lacks and never overrides one that is set', () => {
    const file = join(directory, '.env');
    writeFileSync(file, '# comment\nPORT=4321\nLOG_LEVEL=debug\nHOST="0.0.0.0"\nDATA_DIR=/from/file\n');
    const env: Record<string, string | undefined> = { LOG_LEVEL: 'warn', DATA_DIR: '' };
    expect(loadDotEnv(env, file)).toBe(file);
    expect(env).toEqual({ PORT: '4321', LOG_LEVEL: 'warn', HOST: '0.0.0.0', DATA_DIR: '' });
  });

  it('does nothing without a file', () => {
    const env: Record<string, string | undefined> = {};
    expect(loadDotEnv(env, join(directory, 'missing.env'))).toBeUndefined();
    expect(env).toEqual({});
  });
});
