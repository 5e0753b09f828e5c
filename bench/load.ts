/**
 * The load generator, run as its own process so it never shares an event loop with a server
 * under test. `node dist/bench/load.js '<job JSON>'` prints one JSON result line.
 *   latency     sequential calls at concurrency 1 (undici, high-resolution timer)
 *   throughput  autocannon for a fixed duration
 *   sse         sequential streams: time to first byte of the body, frames (SSE events) per stream
 *   streams     N concurrent streams: the longest gap between chunks of each, stalls counted
 */
import { createRequire } from 'node:module';
import { Pool } from 'undici';

const requireCjs = createRequire(__filename);

export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type LoadJob =
  | ({ kind: 'latency'; count: number; warmup: number } & LoadTarget)
  | ({ kind: 'throughput'; connections: number; durationSec: number; amount?: number } & LoadTarget)
  | ({ kind: 'sse'; count: number; warmup: number } & LoadTarget)
  | ({ kind: 'streams'; concurrency: number; stallMs: number; rampMs?: number } & LoadTarget)
  | ({ kind: 'durability'; connections: number; durationSec: number } & LoadTarget);

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

function countFrames(text: string): number {
  return text.split('\n\n').filter((frame) => frame.trim() !== '').length;
}

async function latency(job: Extract<LoadJob, { kind: 'latency' }>) {
  const url = new URL(job.url);
  const pool = new Pool(url.origin, { connections: 1, pipelining: 1 });
  const samples: number[] = [];
  let errors = 0;
  for (let i = 0; i < job.warmup + job.count; i++) {
    const started = now();
    try {
      const response = await pool.request({ method: 'POST', path: url.pathname, headers: job.headers, body: job.body });
      await response.body.arrayBuffer();
      if (response.statusCode >= 300) errors++;
    } catch {
      errors++;
    }
    if (i >= job.warmup) samples.push(now() - started);
  }
  await pool.close();
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    n: samples.length,
    errors,
  };
}

interface AutocannonResult {
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number };
  duration: number;
}

async function throughput(job: Extract<LoadJob, { kind: 'throughput' }>) {
  const autocannon = requireCjs('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;
  const result = await autocannon({
    url: job.url,
    method: 'POST',
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    duration: job.durationSec,
    ...(job.amount ? { amount: job.amount } : {}),
    timeout: 10,
  });
  const seconds = result.duration || job.durationSec;
  return {
    rps: result.requests.total / seconds,
    averageRps: result.requests.average,
    total: result.requests.total,
    ok: result['2xx'],
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
  };
}

async function sse(job: Extract<LoadJob, { kind: 'sse' }>) {
  const url = new URL(job.url);
  const pool = new Pool(url.origin, { connections: 1, pipelining: 1 });
  const ttft: number[] = [];
  const frames: number[] = [];
  let errors = 0;
  for (let i = 0; i < job.warmup + job.count; i++) {
    const started = now();
    let first: number | null = null;
    let text = '';
    try {
      const response = await pool.request({ method: 'POST', path: url.pathname, headers: job.headers, body: job.body });
      for await (const chunk of response.body) {
        if (first === null) first = now() - started;
        text += (chunk as Buffer).toString('utf8');
      }
      if (response.statusCode >= 300) errors++;
    } catch {
      errors++;
    }
    if (i >= job.warmup) {
      ttft.push(first ?? NaN);
      frames.push(countFrames(text));
    }
  }
  await pool.close();
  return {
    ttftP50: percentile(ttft, 50),
    ttftP99: percentile(ttft, 99),
    framesMin: Math.min(...frames),
    framesMax: Math.max(...frames),
    n: ttft.length,
    errors,
  };
}

async function streams(job: Extract<LoadJob, { kind: 'streams' }>) {
  const url = new URL(job.url);
  const pool = new Pool(url.origin, {
    connections: job.concurrency,
    pipelining: 1,
    bodyTimeout: 60_000,
    headersTimeout: 60_000,
  });
  const results = await Promise.all(
    Array.from({ length: job.concurrency }, async (_, i) => {
      // Arrivals spread evenly over the ramp (all streams are open together once it is over:
      // each lasts 64 × 20 ms), rather than one thundering herd of simultaneous connects.
      if (job.rampMs) await new Promise((resolve) => setTimeout(resolve, (i * job.rampMs!) / job.concurrency));
      let last: number | null = null;
      let maxGap = 0;
      let text = '';
      try {
        const response = await pool.request({
          method: 'POST',
          path: url.pathname,
          headers: job.headers,
          body: job.body,
        });
        for await (const chunk of response.body) {
          const t = now();
          if (last !== null) maxGap = Math.max(maxGap, t - last);
          last = t;
          text += (chunk as Buffer).toString('utf8');
        }
        return { ok: response.statusCode === 200 && text.includes('message_stop'), maxGap, frames: countFrames(text) };
      } catch {
        return { ok: false, maxGap, frames: countFrames(text) };
      }
    }),
  );
  await pool.close();
  const stalled = results.filter((r) => !r.ok || r.maxGap > job.stallMs).length;
  return {
    concurrency: job.concurrency,
    stalled,
    failed: results.filter((r) => !r.ok).length,
    maxGapMs: Math.max(...results.map((r) => r.maxGap)),
    p99GapMs: percentile(
      results.map((r) => r.maxGap),
      99,
    ),
    framesMin: Math.min(...results.map((r) => r.frames)),
  };
}

/**
 * Closed-loop load for the durability figures: every response is read to its end and counted
 * (autocannon drops the ones in flight when its time is up, which would undercount 2xx), and
 * when the time is up the calls in flight are awaited, not abandoned.
 */
async function durability(job: Extract<LoadJob, { kind: 'durability' }>) {
  const url = new URL(job.url);
  const pool = new Pool(url.origin, {
    connections: job.connections,
    pipelining: 1,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const deadline = now() + job.durationSec * 1000;
  const counts = { ok: 0, non2xx: 0, errors: 0 };
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (now() < deadline) {
        try {
          const response = await pool.request({
            method: 'POST',
            path: url.pathname,
            headers: job.headers,
            body: job.body,
          });
          await response.body.arrayBuffer();
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
          if (response.statusCode >= 200 && response.statusCode < 300) counts.ok++;
          else counts.non2xx++;
        } catch {
          counts.errors++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }),
  );
  await pool.close().catch(() => undefined);
  return { ...counts, total: counts.ok + counts.non2xx, statuses };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
  const run = { latency, throughput, sse, streams, durability }[job.kind] as (job: LoadJob) => Promise<unknown>;
  const result = await run(job);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`load: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
