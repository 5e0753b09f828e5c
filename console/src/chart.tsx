import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
}

// Colours with at least 3:1 contrast against the white card, told apart by hue and dash.
const COLOURS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f', '#a21caf'];

/** A time chart (x in seconds since the epoch) that follows its container's width. */
export function TimeChart(props: {
  title: string;
  times: number[];
  series: ChartSeries[];
  format: (value: number) => string;
  height?: number;
  /** IANA zone the time axis is read in (the browser's when omitted). */
  timeZone?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: props.height ?? 220,
      series: [
        {},
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: COLOURS[i % COLOURS.length],
          width: 2,
          dash: i >= COLOURS.length ? [6, 4] : undefined,
          points: { show: props.times.length < 40 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : props.format(v)),
        })),
      ],
      axes: [{}, { values: (_u: uPlot, splits: number[]) => splits.map((v) => props.format(v)), size: 70 }],
      legend: { live: true },
      ...(props.timeZone
        ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), props.timeZone as string) }
        : {}),
      cursor: { drag: { x: false, y: false } },
    };
    const plot = new uPlot(options, [props.times, ...props.series.map((s) => s.values)] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(280, element.clientWidth), height: props.height ?? 220 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.times, props.series, props.format, props.height, props.timeZone]);
  return <div class="chart" ref={host} role="img" aria-label={props.title} />;
}
