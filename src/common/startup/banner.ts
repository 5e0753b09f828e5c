import type { AppConfig } from '../../config/app-config';

export interface BannerFacts {
  config: AppConfig;
  /** The database as it may be printed (password masked), and whether Lamplight runs it itself. */
  database: { url: string; embedded: boolean };
  /** The `.env` file read at start, if any. */
  envFile?: string;
}

/** The base URL a local client uses: a wildcard listen address is reached on the loopback. */
export function localUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}`;
}

/** What start-up prints once the server is ready: where it is, what it uses, and what to do next. */
export function startupBanner({ config, database, envFile }: BannerFacts, port: number): string {
  const url = localUrl(config.host, port);
  const rows: [string, string][] = [
    ['console', `${url}/ (sign up in the browser: spend, sessions, transcripts)`],
    ['API docs', `${url}/docs (OpenAPI JSON at ${url}/docs-json)`],
    ['health', `${url}/health/ready`],
    ['database', database.embedded ? `embedded PostgreSQL, ${database.url}` : database.url],
    ['data dir', config.dataDir],
    ['upstream', config.anthropicBaseUrl],
  ];
  if (envFile) rows.push(['settings', `environment, then ${envFile}`]);
  rows.push([
    'next',
    'in another terminal, `npm run demo` (no Anthropic key needed); then README.md, "Your first session"',
  ]);
  return [`Lamplight is listening on ${url}`, ...rows.map(([name, value]) => `  ${name.padEnd(9)} ${value}`), ''].join(
    '\n',
  );
}
