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
        { stroke: '#889', grid: { stroke: '#2a2f3a' }, ticks: { stroke: '#2a2f3a' } },
        { stroke: '#889', grid: { stroke: '#2a2f3a' }, ticks: { stroke: '#2a2f3a' }, size: 70, values: (_u, ticks) => ticks.map(p.format) },
      ],
      series: [{}, ...p.series.map((s) => ({
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
