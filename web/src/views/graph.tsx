import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface SeriesSpec { label: string; stroke: string; dash?: number[]; fill?: string; points?: boolean }

interface Props {
  title: string;
  testid: string;
  /** Seconds since the epoch (uPlot's time unit). */
  times: number[];
  /** One array per series, as long as times; null is a gap. */
  values: (number | null)[][];
  series: SeriesSpec[];
  format: (v: number) => string;
  /** Lowest top of the y axis (so a flat 0 line still has a scale). */
  minTop?: number;
}

/** The steps between time ticks, seconds: what a clock reader expects (uPlot picks the first that leaves `space`). */
const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const two = (n: number) => String(n).padStart(2, '0');

/**
 * The time axis' labels: one line each and one format for the whole axis (uPlot's default adds a second
 * line with the date at some ticks, which collides with the next label when a minute starts near the
 * left edge). 24-hour HH:MM, with seconds only when ticks are less than a minute apart, and the date
 * only when the ticks span more than one day.
 */
export function timeLabels(ticks: number[], incr: number): string[] {
  const dates = ticks.map((t) => new Date(t * 1000));
  const days = new Set(dates.map((d) => d.toDateString())).size > 1;
  return dates.map((d) => `${days ? `${two(d.getMonth() + 1)}-${two(d.getDate())} ` : ''}${two(d.getHours())}:${two(d.getMinutes())}${incr < 60 ? `:${two(d.getSeconds())}` : ''}`);
}

/** A moment in the legend: the local date and the time to the second. */
const moment = (t: number) => { const d = new Date(t * 1000); return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`; };

/** One uPlot chart, updated in place as data arrives; the point count is on the element for tests. */
export function Graph(p: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [p.times, ...p.values] as uPlot.AlignedData;

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 180,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      // From zero, with headroom; all-gap data (max null) still gets a scale.
      scales: { y: { range: (_u, _min, max) => [0, Math.max(p.minTop ?? 1, Number.isFinite(max) ? max * 1.1 : 0)] } },
      axes: [
        {
          stroke: '#889', grid: { stroke: '#2a2f3a' }, ticks: { stroke: '#2a2f3a' },
          // Room for "12:34:56" (or "11-29 12:34" when the ticks span days) and a gap.
          incrs: TIME_INCRS, space: (_u, _i, min, max) => (new Date(min * 1000).toDateString() !== new Date(max * 1000).toDateString() ? 90 : 70),
          values: (_u, ticks, _i, _space, incr) => {
            const labels = timeLabels(ticks, incr);
            el.dataset['xLabels'] = labels.join('|'); // what the axis shows, for tests
            return labels;
          },
        },
        { stroke: '#889', grid: { stroke: '#2a2f3a' }, ticks: { stroke: '#2a2f3a' }, size: 70, values: (_u, ticks) => ticks.map(p.format) },
      ],
      series: [{ value: (_u: uPlot, t: number | null) => (t === null ? '--' : moment(t)) }, ...p.series.map((s) => ({
        label: s.label, stroke: s.stroke, width: 1.5, dash: s.dash, fill: s.fill, spanGaps: false,
        ...(s.points === false ? { points: { show: false } } : {}),
        value: (_u: uPlot, v: number | null) => (v === null ? '--' : p.format(v)),
      }))],
    };
    plot.current = new uPlot(opts, data, el.querySelector('.plot') as HTMLElement);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 180 }));
    ro.observe(el);
    return () => { ro.disconnect(); plot.current?.destroy(); plot.current = null; };
  }, []);

  useEffect(() => { plot.current?.setData(data); });

  return (
    <figure class="graph" ref={box} data-testid={p.testid} data-points={p.times.length}>
      <figcaption>{p.title}</figcaption>
      <div class="plot" />
    </figure>
  );
}
