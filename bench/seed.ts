/**
 * The analytics seeder: synthetic interactions across organizations, sessions and models, written
 * through the product's own InteractionWriter (one statement per batch, with the session totals and
 * hourly rollups; one per organization in a batch with `distributed`, as DATABASE_DISTRIBUTED=true
 * writes), so the rollups are exactly what production would hold.
 */
import { randomUUID, randomUUIDv7 } from 'node:crypto';
import type { Pool } from 'pg';
import { ContentStatus, InteractionOutcome } from '../src/modules/recording/interaction.entity';
import type { InteractionRecord } from '../src/modules/recording/interaction-record';
import { InteractionWriter } from '../src/modules/recording/interaction-writer.repository';
import { PricingTable } from '../src/modules/proxy/pricing/pricing';

const SEED_MODELS = [
  'claude-opus-4-7',
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
  'claude-opus-5',
  'claude-fable-5',
  'claude-unlisted-model',
];
const DAY_MS = 86_400_000;
const SPAN_DAYS = 90;

export interface SeedOrganization {
  organizationId: string;
  userId: string;
  /** Share of the interactions (weights are normalised). */
  weight: number;
  sessionIds: string[];
  /** The session calls currently go to (sessions are bursts of consecutive calls). */
  cursor?: number;
}

/** Adds `count` sessions to an organization (spread over the last 90 days) and returns their ids. */
/**
 * An organization and a member written straight to the database (no API, no app), for the scripts
 * that write through the InteractionWriter alone; the months the seeded calls span are partitioned.
 */
export async function insertOrganization(pool: Pool, name: string): Promise<SeedOrganization> {
  const organizationId = randomUUID();
  const userId = randomUUID();
  await pool.query(
    `INSERT INTO organizations (id, created_at, name, slug, settings) VALUES ($1, now(), $2, $3, '{}')`,
    [organizationId, name, `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${organizationId.slice(0, 8)}`],
  );
  await pool.query(`INSERT INTO users (id, created_at, email, name, password_hash) VALUES ($1, now(), $2, $3, 'x')`, [
    userId,
    `${userId}@bench.invalid`,
    name,
  ]);
  await pool.query(
    `SELECT lamplight_ensure_interactions_partition(m) FROM generate_series(now() - interval '4 months', now(), interval '1 month') m`,
  );
  return { organizationId, userId, weight: 1, sessionIds: [] };
}

export async function createSessions(pool: Pool, org: SeedOrganization, count: number, tag: string): Promise<void> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO sessions (id, created_at, organization_id, user_id, external_id, device, token_budget, last_activity_at)
     SELECT gen_random_uuid(), now() - random() * interval '${SPAN_DAYS} days', $1, $2, $3 || '-' || g, '{}'::jsonb, NULL, now() - random() * interval '${SPAN_DAYS} days'
     FROM generate_series(1, $4::int) g RETURNING id`,
    [org.organizationId, org.userId, `seed-${tag}`, count],
  );
  org.sessionIds.push(...rows.map((r) => r.id));
}

let counter = 0;
const pricing = PricingTable.default();

/**
 * One synthetic call at `at` (epoch ms). Calls are generated in time order, as the recorder
 * writes them in production (each batch covers a short stretch of time and a few hours of
 * rollups), and go to one session for about 50 calls in a row, sometimes to another.
 */
function syntheticRecord(
  org: SeedOrganization,
  at = Date.now() - Math.floor(Math.random() * SPAN_DAYS * DAY_MS),
): InteractionRecord {
  counter++;
  const model = SEED_MODELS[counter % SEED_MODELS.length];
  const started = at;
  org.cursor ??= Math.floor(Math.random() * org.sessionIds.length);
  if (Math.random() < 1 / 50) org.cursor = Math.floor(Math.random() * org.sessionIds.length);
  const usage = {
    inputTokens: 50 + (counter % 4000),
    outputTokens: 20 + (counter % 1500),
    cacheReadTokens: counter % 3 === 0 ? 1000 : 0,
    cacheWrite5mTokens: counter % 7 === 0 ? 500 : 0,
    cacheWrite1hTokens: 0,
  };
  const failed = counter % 50 === 0;
  return {
    // Time-ordered, as the proxy makes them.
    id: randomUUIDv7(),
    organizationId: org.organizationId,
    sessionId:
      Math.random() < 0.1
        ? org.sessionIds[Math.floor(Math.random() * org.sessionIds.length)]
        : org.sessionIds[org.cursor],
    apiKeyId: null,
    userId: org.userId,
    model,
    stream: counter % 2 === 0,
    httpStatus: failed ? 529 : 200,
    outcome: failed ? InteractionOutcome.UpstreamError : InteractionOutcome.Ok,
    stopReason: failed ? null : 'end_turn',
    errorType: failed ? 'overloaded_error' : null,
    ...usage,
    cost: pricing.price(model, usage),
    pricingVersion: pricing.version,
    latencyMs: 200 + (counter % 3000),
    timeToFirstTokenMs: 100 + (counter % 800),
    upstreamRequestId: `req_seed_${counter}`,
    agentId: null,
    parentAgentId: null,
    userQuery: 'Seeded question for the analytics benchmark',
    finalOutput: 'Seeded answer.',
    content: null,
    contentTruncated: false,
    contentStatus: ContentStatus.Complete,
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(started + 1500).toISOString(),
  };
}

function pickOrganization(orgs: SeedOrganization[], total: number): SeedOrganization {
  let r = Math.random() * total;
  for (const org of orgs) {
    r -= org.weight;
    if (r <= 0) return org;
  }
  return orgs[orgs.length - 1];
}

/** Writes `count` interactions in batches of `batchSize`, `parallel` batches at a time; rows/s. */
export async function seedInteractions(
  pool: Pool,
  orgs: SeedOrganization[],
  count: number,
  options: {
    batchSize?: number;
    parallel?: number;
    progress?: (written: number) => void;
    decorate?: (record: InteractionRecord) => InteractionRecord;
    distributed?: boolean;
    /** The days the calls span, ending now (default 90: the analytics routes' longest range). */
    spanDays?: number;
    /**
     * This call writes the `part`-th of `of` consecutive stretches of that span (0 first), so one
     * pass over the span can be written in several calls with other work between them and the
     * same calls per hour as in one.
     */
    stretch?: { part: number; of: number };
  } = {},
): Promise<{ rows: number; seconds: number; rowsPerSecond: number }> {
  const writer = new InteractionWriter(pool, { databaseDistributed: options.distributed ?? false });
  const batchSize = options.batchSize ?? 500;
  const totalWeight = orgs.reduce((sum, o) => sum + o.weight, 0);
  let remaining = count;
  let written = 0;
  let lastReport = 0;
  // Time moves forward across the 90 days as the rows are written (each pass over a size spans them all).
  const spanDays = options.spanDays ?? SPAN_DAYS;
  const { part, of } = options.stretch ?? { part: 0, of: 1 };
  const spanStart = Date.now() - spanDays * DAY_MS + (part / of) * spanDays * DAY_MS;
  const step = (spanDays * DAY_MS) / of / count;
  let index = 0;
  const started = performance.now();
  const worker = async () => {
    while (remaining > 0) {
      const n = Math.min(batchSize, remaining);
      remaining -= n;
      const decorate = options.decorate ?? ((r: InteractionRecord) => r);
      const batch = Array.from({ length: n }, () =>
        decorate(syntheticRecord(pickOrganization(orgs, totalWeight), Math.floor(spanStart + step * index++))),
      );
      // Not `written += await …`: that reads `written` before the await and loses the other worker's rows.
      const inserted = await writeRetrying(writer, batch);
      written += inserted;
      if (options.progress && written - lastReport >= 100_000) {
        lastReport = written;
        options.progress(written);
      }
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 2 }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { rows: written, seconds, rowsPerSecond: written / seconds };
}

/**
 * Two batches in flight may lock the same session and rollup rows in opposite orders: PostgreSQL
 * then aborts one (deadlock). The statement is all or nothing and idempotent on ids, so it is retried.
 */
async function writeRetrying(writer: InteractionWriter, batch: InteractionRecord[]): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writer.write(batch);
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      deadlocks++;
    }
  }
}

/** Deadlocks retried while seeding (reported with the results). */
export let deadlocks = 0;

/** The same writer, one row per statement, one statement at a time: the single-row baseline. */
export async function singleRowInserts(
  pool: Pool,
  org: SeedOrganization,
  count: number,
  distributed = false,
): Promise<{ rows: number; seconds: number; rowsPerSecond: number }> {
  const writer = new InteractionWriter(pool, { databaseDistributed: distributed });
  const started = performance.now();
  for (let i = 0; i < count; i++) await writer.write([syntheticRecord(org)]);
  const seconds = (performance.now() - started) / 1000;
  return { rows: count, seconds, rowsPerSecond: count / seconds };
}
