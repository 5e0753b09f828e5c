import { useMemo } from 'preact/hooks';
import type { Schemas } from '../api';
import { TimeChart } from '../chart';
import { ms, number } from '../format';
import { linesOf, type Period } from './period';

/** Requests and errors, and latency and time to first token (p50, p95), over the period. */
export function Activity(props: {
  period: Period;
  tokens: Schemas['TokenAnalyticsResponseDto'];
  latency: Schemas['LatencyAnalyticsResponseDto'];
}) {
  const { period, tokens, latency } = props;
  const charts = useMemo(() => {
    const series = latency.series ?? [];
    return {
      times: period.buckets.map((at) => at / 1000),
      requests: linesOf(period, tokens.series ?? [], [
        { label: 'Requests', value: (b) => b.requests },
        { label: 'Errors', value: (b) => b.error_requests },
      ]),
      // A bucket without calls has no latency: a gap, not 0 ms.
      latency: linesOf(
        period,
        series,
        [
          { label: 'Latency p50', value: (b) => b.latency_p50_ms },
          { label: 'Latency p95', value: (b) => b.latency_p95_ms },
          { label: 'Time to first token p50', value: (b) => b.ttft_p50_ms },
          { label: 'Time to first token p95', value: (b) => b.ttft_p95_ms },
        ],
        true,
      ),
    };
  }, [period, tokens, latency]);
  return (
    <div class="grid-2">
      <div class="card">
        <h2>Requests and errors</h2>
        <TimeChart
          title="Requests and errors over time"
          times={charts.times}
          series={charts.requests}
          format={number}
          timeZone={period.timeZone}
        />
      </div>
      <div class="card">
        <h2>Latency and time to first token</h2>
        <TimeChart
          title="Latency and time to first token over time, p50 and p95"
          times={charts.times}
          series={charts.latency}
          format={ms}
          timeZone={period.timeZone}
        />
        <p class="sub">
          Time to first token runs until the first byte of Anthropic's answer ({number(latency.totals.ttft_requests)}{' '}
          calls measured in the period).
        </p>
      </div>
    </div>
  );
}
