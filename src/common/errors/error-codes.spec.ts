import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CODE_ENUMS, errorCodes } from './error-codes';

const SRC = join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('error codes', () => {
  it('are defined once each, in UPPER_SNAKE_CASE', () => {
    const codes = errorCodes();
    expect(codes.length).toBeGreaterThan(50);
    expect(codes.filter((code, index) => codes.indexOf(code) !== index)).toEqual([]);
    expect(codes.filter((code) => !/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(code))).toEqual([]);
  });

  it('every code enum in the sources is listed (and so published in the OpenAPI document)', () => {
    const declared = sourceFiles(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/export enum (\w+ErrorCode)\b/g)].map(
        (match) => `${relative(SRC, file)}:${match[1]}`,
      ),
    );
    expect(declared.length).toBe(Object.keys(ERROR_CODE_ENUMS).length);
    for (const entry of declared) {
      expect(entry).toMatch(/(\.errors\.ts|common\.errors\.ts):\w+$/);
      expect(Object.keys(ERROR_CODE_ENUMS)).toContain(entry.split(':')[1]);
    }
  });

  it('errors are made only in *.errors.ts, and no code is a string literal there', () => {
    const offenders = sourceFiles(SRC).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const inline = !file.endsWith('.errors.ts') && /new DomainError\(/.test(text);
      const literal = /new DomainError\(\s*['"`]|super\(\s*['"`][A-Z_]+['"`]/.test(text);
      return inline || literal ? [relative(SRC, file)] : [];
    });
    expect(offenders).toEqual([]);
  });
});
