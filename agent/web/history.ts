import { cfsOf } from '../../engine/cgroups/limits';
import { TopRow } from '../view/rows';

/** One point of a workload's graphs; null where the sampler knew nothing (not running, no cgroup). */
export interface HistorySample {
  t: number;
  cpuPercent: number | null;
  memoryBytes: number | null;
  readBytesPerSec: number | null;
  writeBytesPerSec: number | null;
  pids: number | null;
}

export interface HistoryLimits {
  /** 100 = one core. */
  cpuPercent: number | null;
  memoryBytes: number | null;
  pids: number | null;
}

export interface WorkloadHistory { id: string; name: string; limits: HistoryLimits; samples: HistorySample[] }

/** How far back the page's graphs go. */
export const HISTORY_SECONDS = 900;

const FIELDS = 5; // cpu, memory, read, write, pids: one Float32Array slot each per tick

interface Series { name: string; limits: HistoryLimits; firstTick: number; values: Float32Array }

/** The limits drawn against the graphs, from a row's Docker-flag limits. */
export function limitsOf(r: TopRow): HistoryLimits {
  const { quota, period } = cfsOf(r.limits);
  return {
    cpuPercent: quota && period && quota > 0 ? (quota / period) * 100 : null,
    memoryBytes: r.limits.memory,
    pids: r.pidsLimit !== null && r.pidsLimit > 0 ? r.pidsLimit : null,
  };
}

/**
 * The last `capacity` sampler ticks of every workload, for the web page's graphs. Every workload
 * is in every tick (the sampler lists them all), so one ring of times serves them all and each
 * workload keeps one Float32Array (NaN for null): ~18 KiB per workload for 15 minutes at 1 s.
 * A workload missing from a tick has been removed and is forgotten.
 */
export class SampleHistory {
  private readonly times: Float64Array;
  private readonly series = new Map<string, Series>();
  /** Ticks pushed so far; the next one goes to slot `tick % capacity`. */
  private tick = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`invalid history capacity ${capacity}: expected a whole number above 0`);
    this.times = new Float64Array(capacity);
  }

  push(tMs: number, rows: readonly TopRow[]): void {
    const slot = this.tick % this.capacity;
    this.times[slot] = tMs;
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.id);
      let s = this.series.get(r.id);
      if (!s) this.series.set(r.id, (s = { name: r.name, limits: limitsOf(r), firstTick: this.tick, values: new Float32Array(this.capacity * FIELDS) }));
      s.name = r.name;
      s.limits = limitsOf(r); // `corral update` may have changed them
      const v = s.values;
      const at = slot * FIELDS;
      v[at] = r.cpuPercent ?? NaN;
      v[at + 1] = r.memUsage ?? NaN;
      v[at + 2] = r.readRate ?? NaN;
      v[at + 3] = r.writeRate ?? NaN;
      v[at + 4] = r.pids ?? NaN;
    }
    for (const id of this.series.keys()) if (!seen.has(id)) this.series.delete(id);
    this.tick++;
  }

  has(id: string): boolean {
    return this.series.has(id);
  }

  /** Oldest first; undefined for a workload never seen (or removed). */
  get(id: string): WorkloadHistory | undefined {
    const s = this.series.get(id);
    if (!s) return undefined;
    const from = Math.max(s.firstTick, this.tick - this.capacity);
    const samples: HistorySample[] = [];
    const val = (x: number) => (Number.isNaN(x) ? null : x);
    for (let k = from; k < this.tick; k++) {
      const slot = k % this.capacity;
      const at = slot * FIELDS;
      const v = s.values;
      samples.push({
        t: this.times[slot]!, cpuPercent: val(v[at]!), memoryBytes: val(v[at + 1]!),
        readBytesPerSec: val(v[at + 2]!), writeBytesPerSec: val(v[at + 3]!), pids: val(v[at + 4]!),
      });
    }
    return { id, name: s.name, limits: { ...s.limits }, samples };
  }

  /** How many workloads are kept (for tests and the bound). */
  get size(): number {
    return this.series.size;
  }
}
