import {
  type Call,
  figures,
  getJson,
  setNow,
  setUpGateway,
  sumCalls,
  totalTokensOf,
  UNPRICED_MODEL,
  usd,
  writeCalls,
} from '../support/analytics-fixtures';
import { expectProblem, startTestApp, type TestApp, type TestUser } from '../support/test-app';

/** "Now" for this file: Wednesday 2026-11-25, 10:30 UTC (05:30 in New York, 19:30 in Tokyo). */
const NOW = '2026-11-25T10:30:00.000Z';

const MODELS = ['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-haiku-4-5-20251001', UNPRICED_MODEL];

/** Calls at the edges of the periods, each with its own usage so that every sum is distinctive. */
const AT: Record<string, string> = {
  todayFirst: '2026-11-25T00:00:00.000Z',
  yesterdayLast: '2026-11-24T23:59:59.999Z',
  currentHourLast: '2026-11-25T10:59:59.999Z',
  afterNowsHour: '2026-11-25T11:00:00.000Z',
  mondayFirst: '2026-11-23T00:00:00.000Z',
  sundayLast: '2026-11-22T23:59:59.999Z',
  yesterdayBeforeComparable: '2026-11-24T10:59:59.999Z',
  yesterdayAtComparable: '2026-11-24T11:00:00.000Z',
  lastWeekFirst: '2026-11-16T00:00:00.000Z',
  lastWeekComparableHour: '2026-11-18T10:59:00.000Z',
  monthFirst: '2026-11-01T00:00:00.000Z',
  lastMonthLast: '2026-10-31T23:59:59.999Z',
  lastMonthFirst: '2026-10-01T00:00:00.000Z',
  lastMonthComparableHour: '2026-10-25T10:00:00.000Z',
  newYorkYesterdayStart: '2026-11-24T05:00:00.000Z',
  newYorkYesterdayLast: '2026-11-25T04:59:59.999Z',
  newYorkTodayFirst: '2026-11-25T05:00:00.000Z',
  newYorkLongDayLast: '2026-11-02T04:30:00.000Z',
  newYorkNov2First: '2026-11-02T05:00:00.000Z',
};

const CALLS: Call[] = Object.entries(AT).map(([name, at], i) => ({
  session: i % 3 === 0 ? 'edges-a' : 'edges-b',
  model: MODELS[i % MODELS.length],
  at,
  failed: name === 'lastWeekFirst',
  usage: {
    input: 100 * (i + 1) + i,
    output: 7 * (i + 1),
    cacheRead: (i % 3) * 1000 + i,
    write5m: (i % 2) * 500 + i,
    write1h: i % 4 === 0 ? 200 + i : 0,
  },
}));

const within = (start: string, end: string) => CALLS.filter((c) => c.at! >= start && c.at! < end);

/** A period as the summary should report it: the figures of the calls in [start, end). */
function period(start: string, end: string) {
  const s = sumCalls(within(start, end));
  return {
    start,
    end,
    requests: s.requests,
    input_tokens: s.input,
    output_tokens: s.output,
    cache_read_tokens: s.cacheRead,
    cache_write_5m_tokens: s.write5m,
    cache_write_1h_tokens: s.write1h,
    total_tokens: totalTokensOf(s),
    cost_usd: usd(s.cost.total),
    unpriced_requests: s.unpriced,
  };
}

const percent = (current: number, previous: number) =>
  previous === 0 ? null : Math.round(((current - previous) / previous) * 10_000) / 100;

function summaryOf(current: [string, string], previous: [string, string]) {
  const now = sumCalls(within(...current));
  const before = sumCalls(within(...previous));
  return {
    ...period(...current),
    previous: period(...previous),
    change: {
      requests: now.requests - before.requests,
      total_tokens: totalTokensOf(now) - totalTokensOf(before),
      cost_usd: usd(now.cost.total - before.cost.total),
      requests_percent: percent(now.requests, before.requests),
      total_tokens_percent: percent(totalTokensOf(now), totalTokensOf(before)),
      cost_percent: percent(now.cost.total, before.cost.total),
    },
  };
}

describe('analytics windows', () => {
  let app: TestApp;
  let owner: TestUser;
  let restoreClock: () => void;

  beforeAll(async () => {
    app = await startTestApp();
    ({ owner } = await setUpGateway(app, 'Window Owner'));
    await writeCalls(app, owner, CALLS);
    restoreClock = setNow(app, NOW);
  });

  afterAll(async () => {
    restoreClock();
    await app.close();
  });

  it('has calls on both sides of every edge (a check of the fixture itself)', () => {
    expect(within('2026-11-25T00:00:00.000Z', '2026-11-25T11:00:00.000Z').length).toBeGreaterThan(2);
    expect(within('2026-11-24T00:00:00.000Z', '2026-11-24T11:00:00.000Z').length).toBeGreaterThan(0);
    expect(new Set(CALLS.map((c) => c.model)).size).toBe(4);
  });

  it('cuts UTC periods at midnight, on Monday and on the 1st, up to the end of the current hour', async () => {
    const { status, body } = await getJson(app, owner, '/spotlight/analytics/usage-summary');
    expect(status).toBe(200);
    expect(body).toEqual({
      timezone: 'UTC',
      as_of: NOW,
      today: summaryOf(
        ['2026-11-25T00:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-11-24T00:00:00.000Z', '2026-11-24T11:00:00.000Z'],
      ),
      this_week: summaryOf(
        ['2026-11-23T00:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-11-16T00:00:00.000Z', '2026-11-18T11:00:00.000Z'],
      ),
      this_month: summaryOf(
        ['2026-11-01T00:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-10-01T00:00:00.000Z', '2026-10-25T11:00:00.000Z'],
      ),
    });
    // The edges themselves, spelled out.
    expect(body.today.requests).toBe(within('2026-11-25T00:00:00.000Z', '2026-11-25T11:00:00.000Z').length);
    expect(within('2026-11-25T00:00:00.000Z', '2026-11-25T11:00:00.000Z').map((c) => c.at)).toEqual(
      expect.arrayContaining([AT.todayFirst, AT.currentHourLast, AT.newYorkTodayFirst, AT.newYorkYesterdayLast]),
    );
    expect(within('2026-11-25T00:00:00.000Z', '2026-11-25T11:00:00.000Z').map((c) => c.at)).not.toContain(
      AT.yesterdayLast,
    );
    expect(within('2026-11-23T00:00:00.000Z', '2026-11-25T11:00:00.000Z').map((c) => c.at)).toContain(AT.mondayFirst);
    expect(within('2026-11-23T00:00:00.000Z', '2026-11-25T11:00:00.000Z').map((c) => c.at)).not.toContain(
      AT.sundayLast,
    );
    expect(body.this_week.previous.requests).toBe(2); // last Monday 00:00 (a failed call) and last Wednesday 10:59
  });

  it('follows a zone west of UTC, across the end of daylight saving time', async () => {
    const { status, body } = await getJson(app, owner, '/spotlight/analytics/usage-summary?tz=America/New_York');
    expect(status).toBe(200);
    expect(body).toEqual({
      timezone: 'America/New_York',
      as_of: NOW,
      // 00:00 EST is 05:00 UTC; November 1 began at 00:00 EDT, 04:00 UTC.
      today: summaryOf(
        ['2026-11-25T05:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-11-24T05:00:00.000Z', '2026-11-24T11:00:00.000Z'],
      ),
      this_week: summaryOf(
        ['2026-11-23T05:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-11-16T05:00:00.000Z', '2026-11-18T11:00:00.000Z'],
      ),
      this_month: summaryOf(
        ['2026-11-01T04:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-10-01T04:00:00.000Z', '2026-10-25T11:00:00.000Z'],
      ),
    });
    expect(body.today.requests).not.toBe(within('2026-11-25T00:00:00.000Z', '2026-11-25T11:00:00.000Z').length);
  });

  it('follows a zone east of UTC, where today began yesterday in UTC', async () => {
    const { body } = await getJson(app, owner, '/spotlight/analytics/usage-summary?tz=Asia/Tokyo');
    expect(body).toEqual({
      timezone: 'Asia/Tokyo',
      as_of: NOW,
      today: summaryOf(
        ['2026-11-24T15:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-11-23T15:00:00.000Z', '2026-11-24T11:00:00.000Z'],
      ),
      this_week: summaryOf(
        ['2026-11-22T15:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-11-15T15:00:00.000Z', '2026-11-18T11:00:00.000Z'],
      ),
      this_month: summaryOf(
        ['2026-10-31T15:00:00.000Z', '2026-11-25T11:00:00.000Z'],
        ['2026-09-30T15:00:00.000Z', '2026-10-25T11:00:00.000Z'],
      ),
    });
    expect(within('2026-10-31T15:00:00.000Z', '2026-11-25T11:00:00.000Z').map((c) => c.at)).toContain(AT.lastMonthLast);
  });

  it('refuses zones the hourly rollups cannot serve exactly, and names that are not zones', async () => {
    for (const tz of ['Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe']) {
      const response = await app.request({
        method: 'GET',
        url: `/spotlight/analytics/usage-summary?tz=${encodeURIComponent(tz)}`,
        headers: owner.auth,
      });
      const problem = expectProblem(response, 400, 'TIMEZONE_NOT_HOUR_ALIGNED');
      expect(problem.detail).toContain(tz);
    }
    // Lord Howe is UTC+11 in November (whole hours) but was UTC+10:30 on October 1, the previous month's start.
    for (const tz of ['Nowhere/Special', '+05:00', 'UTC; select 1', '']) {
      const response = await app.request({
        method: 'GET',
        url: `/spotlight/analytics/usage-summary?tz=${encodeURIComponent(tz)}`,
        headers: owner.auth,
      });
      expectProblem(response, 400, 'INVALID_TIMEZONE');
    }
    expectProblem(
      await app.request({ method: 'GET', url: '/spotlight/analytics/usage-summary?timezone=UTC', headers: owner.auth }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('serves token ranges exactly at their edges', async () => {
    const range = await getJson(
      app,
      owner,
      '/spotlight/analytics/tokens?start=2026-11-23T00:00:00Z&end=2026-11-25T00:00:00Z',
    );
    expect(range.body).toMatchObject({ start: '2026-11-23T00:00:00.000Z', end: '2026-11-25T00:00:00.000Z' });
    expect(range.body.totals).toEqual(
      figures(sumCalls(within('2026-11-23T00:00:00.000Z', '2026-11-25T00:00:00.000Z'))),
    );
    expect(within('2026-11-23T00:00:00.000Z', '2026-11-25T00:00:00.000Z').map((c) => c.at)).toEqual(
      expect.arrayContaining([AT.mondayFirst, AT.yesterdayLast]),
    );

    // A start or end inside an hour widens to the whole hour, and says so.
    const widened = await getJson(
      app,
      owner,
      '/spotlight/analytics/tokens?start=2026-11-23T00:30:00%2B00:00&end=2026-11-24T23:30:00Z',
    );
    expect(widened.body).toMatchObject({ start: '2026-11-23T00:00:00.000Z', end: '2026-11-25T00:00:00.000Z' });
    expect(widened.body.totals).toEqual(range.body.totals);

    // A plain date is UTC midnight; the default range is the 30 days up to the end of the current hour.
    const dates = await getJson(app, owner, '/spotlight/analytics/tokens?start=2026-11-23&end=2026-11-25');
    expect(dates.body.totals).toEqual(range.body.totals);
    const defaults = await getJson(app, owner, '/spotlight/analytics/tokens');
    expect(defaults.body).toMatchObject({ start: '2026-10-26T11:00:00.000Z', end: '2026-11-25T11:00:00.000Z' });
    expect(defaults.body.totals).toEqual(
      figures(sumCalls(within('2026-10-26T11:00:00.000Z', '2026-11-25T11:00:00.000Z'))),
    );
  });

  it('sums ranges with partial days at either end exactly: whole days and edge hours together', async () => {
    // Every hour-aligned range from Sunday 22:00 to Wednesday 02:00 that spans at least one midnight:
    // the whole days come from the daily rollup, the hours at either end from the hourly one.
    const hour = 3_600_000;
    const first = Date.parse('2026-11-22T22:00:00Z');
    for (const [startOffset, endOffset] of [
      [0, 27],
      [1, 26],
      [2, 50],
      [3, 51],
      [26, 52],
      [0, 53],
      [2, 26],
      [1, 3],
    ]) {
      const start = new Date(first + startOffset * hour).toISOString();
      const end = new Date(first + endOffset * hour).toISOString();
      const response = await getJson(app, owner, `/spotlight/analytics/tokens?start=${start}&end=${end}`);
      expect(response.status).toBe(200);
      expect({ start, end, totals: response.body.totals }).toEqual({
        start,
        end,
        totals: figures(sumCalls(within(start, end))),
      });
    }
  });

  it('buckets a daily series at the zone’s midnights, including a 25-hour day', async () => {
    const check = async (query: string, edges: string[]) => {
      const { status, body } = await getJson(app, owner, `/spotlight/analytics/tokens?granularity=day&${query}`);
      expect(status).toBe(200);
      const expected = edges.slice(0, -1).flatMap((start, i) => {
        const calls = within(start, edges[i + 1]);
        return calls.length === 0 ? [] : [{ bucket_start: start, ...figures(sumCalls(calls)) }];
      });
      expect(body.series.map(({ models: _models, ...rest }: { models: unknown }) => rest)).toEqual(expected);
      return body;
    };
    await check('start=2026-11-22T05:00:00Z&end=2026-11-26T05:00:00Z&tz=America/New_York', [
      '2026-11-22T05:00:00.000Z',
      '2026-11-23T05:00:00.000Z',
      '2026-11-24T05:00:00.000Z',
      '2026-11-25T05:00:00.000Z',
      '2026-11-26T05:00:00.000Z',
    ]);
    const dst = await check('start=2026-10-31T04:00:00Z&end=2026-11-03T05:00:00Z&tz=America/New_York', [
      '2026-10-31T04:00:00.000Z',
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
      '2026-11-03T05:00:00.000Z',
    ]);
    expect(dst.series.map((b: { bucket_start: string }) => b.bucket_start)).toContain('2026-11-01T04:00:00.000Z');
    await check('start=2026-11-22T00:00:00Z&end=2026-11-26T00:00:00Z', [
      '2026-11-22T00:00:00.000Z',
      '2026-11-23T00:00:00.000Z',
      '2026-11-24T00:00:00.000Z',
      '2026-11-25T00:00:00.000Z',
      '2026-11-26T00:00:00.000Z',
    ]);
    // An hourly series puts the last millisecond of an hour in that hour.
    const hourly = await getJson(
      app,
      owner,
      '/spotlight/analytics/tokens?granularity=hour&start=2026-11-24T23:00:00Z&end=2026-11-25T01:00:00Z',
    );
    expect(
      hourly.body.series.map((b: { bucket_start: string; requests: number }) => [b.bucket_start, b.requests]),
    ).toEqual([
      ['2026-11-24T23:00:00.000Z', 1],
      ['2026-11-25T00:00:00.000Z', 1],
    ]);
  });

  it('reads the rollups, not the interactions, and keeps the daily rollup equal to the hourly one whatever writes it', async () => {
    const before = await getJson(app, owner, '/spotlight/analytics/tokens?start=2026-10-01&end=2026-12-01');
    const summaryBefore = await getJson(app, owner, '/spotlight/analytics/usage-summary');
    expect(before.body.totals.requests).toBe(CALLS.length);
    // Without the raw rows the figures stay; a rollup with no rows behind it counts.
    await app.sql(`delete from interactions where organization_id = $1`, [owner.organizationId]);
    const after = await getJson(app, owner, '/spotlight/analytics/tokens?start=2026-10-01&end=2026-12-01');
    expect(after.body).toEqual(before.body);
    expect((await getJson(app, owner, '/spotlight/analytics/usage-summary')).body).toEqual(summaryBefore.body);
    await app.sql(
      `insert into usage_hourly (organization_id, hour, model, requests, error_requests, unpriced_requests, input_tokens, output_tokens,
         cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd, cost_output_nano_usd, cost_cache_read_nano_usd,
         cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd, cost_total_nano_usd)
       values ($1, '2026-11-25T09:00:00Z', 'claude-rollup-only', 5, 0, 0, 10, 20, 0, 0, 0, 1, 2, 0, 0, 0, 3)`,
      [owner.organizationId],
    );
    const summary = await getJson(app, owner, '/spotlight/analytics/usage-summary');
    expect(summary.body.today.requests).toBe(summaryBefore.body.today.requests + 5);
    expect(summary.body.today.total_tokens).toBe(summaryBefore.body.today.total_tokens + 30);
    expect(summary.body.today.cost_usd).toBe(usd(Math.round(summaryBefore.body.today.cost_usd * 1e9) + 3));

    // Updates and deletes by hand reach the daily rollup too (triggers, migration usage_daily).
    await app.sql(
      `update usage_hourly set requests = requests + 2, input_tokens = input_tokens * 3 where organization_id = $1 and model = $2`,
      [owner.organizationId, MODELS[0]],
    );
    await app.sql(`delete from usage_hourly where organization_id = $1 and hour = $2`, [
      owner.organizationId,
      '2026-11-24T23:00:00Z',
    ]);
    const [hourly, daily] = await Promise.all(
      [
        `select date_trunc('day', hour, 'UTC') as day, model, sum(requests)::text as requests, sum(input_tokens)::text as input, sum(cost_total_nano_usd)::text as cost
         from usage_hourly where organization_id = $1 group by 1, 2`,
        `select day, model, requests::text, input_tokens::text as input, cost_total_nano_usd::text as cost
         from usage_daily where organization_id = $1 and (requests, input_tokens, cost_total_nano_usd) <> (0, 0, 0)`,
      ].map((sql) => app.sql<Record<string, unknown>>(`${sql} order by 1, 2`, [owner.organizationId])),
    );
    expect(daily.length).toBeGreaterThan(5);
    expect(daily).toEqual(hourly);
    const total = await getJson(app, owner, '/spotlight/analytics/tokens?start=2026-10-01&end=2026-12-01');
    const [sums] = await app.sql<{ requests: string }>(
      `select sum(requests)::text as requests from usage_hourly where organization_id = $1`,
      [owner.organizationId],
    );
    expect(total.body.totals.requests).toBe(Number(sums.requests));
  });
});
