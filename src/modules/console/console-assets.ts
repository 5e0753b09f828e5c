import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface ConsoleAsset {
  body: Buffer;
  gzipped: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Where `npm run build` puts the console (Vite, console/vite.config.mjs): `dist/console`. The
 * compiled server runs from `dist/src/...`, tests from `src/...`; both find it from the root.
 */
function consoleBuildDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i += 1) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'console');
    dir = resolve(dir, '..');
  }
  return join(process.cwd(), 'dist', 'console');
}

/**
 * The built console, read once into memory: the page and every file under `assets/`, keyed by
 * name. Only names found here are ever served, so no request path reaches the file system.
 */
export class ConsoleAssets {
  readonly index: Buffer | null;
  private readonly files = new Map<string, ConsoleAsset>();

  constructor(readonly dir: string = consoleBuildDir()) {
    const page = join(dir, 'index.html');
    this.index = existsSync(page) ? readFileSync(page) : null;
    const assets = join(dir, 'assets');
    if (!existsSync(assets)) return;
    for (const name of readdirSync(assets)) {
      const path = join(assets, name);
      if (!statSync(path).isFile()) continue;
      const body = readFileSync(path);
      this.files.set(name, {
        body,
        gzipped: gzipSync(body, { level: 9 }),
        contentType: TYPES[extname(name)] ?? 'application/octet-stream',
      });
    }
  }

  asset(name: string): ConsoleAsset | undefined {
    return this.files.get(name);
  }
}
