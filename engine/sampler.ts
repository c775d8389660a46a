import * as fs from 'node:fs';
import * as os from 'node:os';
import { CgroupHandle } from './cgroups/types';
import { WallClock } from './logs/clock';
import { Sampler, Snapshot, WorkloadSample } from './snapshot';

/** What the sampler reads for one workload: its description and its live cgroup, if any. */
export interface SampleSource {
  /** A fresh object each call: the sampler completes it into the WorkloadSample. */
  describe(): Omit<WorkloadSample, 'stats' | 'cgroupPath'>;
  readonly cgroupHandle: CgroupHandle | undefined;
  /** The cgroup path of the last run ('' if it never ran in one): an ended run keeps its `id`. */
  readonly lastCgroupPath: string;
}

/** USER_HZ on Linux: /proc/stat counts in these ticks. */
const TICKS_PER_SECOND = 100;

/** Host CPU time over all CPUs in ns, as Docker's stats reads it (the first line of /proc/stat). */
export function readSystemCpuNs(text = fs.readFileSync('/proc/stat', 'latin1')): number {
  const first = text.slice(0, text.indexOf('\n')).split(/\s+/).slice(1, 8);
  const ticks = first.reduce((sum, v) => sum + (Number(v) || 0), 0);
  return (ticks * 1e9) / TICKS_PER_SECOND;
}

/**
 * Reads every workload's cgroup once per interval into a Snapshot. Tolerant: a file that
 * can't be read costs one value and one count in `errors`, never the sample.
 */
export class IntervalSampler implements Sampler {
  private last: Snapshot | undefined;
  private before: Snapshot | undefined;
  private readonly subscribers = new Set<(s: Snapshot) => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly sources: () => Iterable<SampleSource>, private readonly clock: WallClock, intervalMs = 1000) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  latest(): Snapshot | undefined {
    return this.last;
  }

  previous(): Snapshot | undefined {
    return this.before;
  }

  subscribe(fn: (s: Snapshot) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  stop(): void {
    clearInterval(this.timer);
    this.subscribers.clear();
  }

  /** One pass now (the timer calls it; tests may too). */
  sample(): Snapshot {
    const t0 = process.hrtime.bigint();
    const errors: Error[] = [];
    const workloads: WorkloadSample[] = [];
    for (const src of this.sources()) {
      const cg = src.cgroupHandle;
      // Completed in place rather than spread into a copy: one object fewer per workload per pass.
      const w = src.describe() as WorkloadSample;
      w.cgroupPath = cg?.path ?? src.lastCgroupPath;
      w.stats = cg ? cg.statsSync(errors) : null;
      workloads.push(w);
    }
    let systemCpuNs = 0;
    try { systemCpuNs = readSystemCpuNs(); } catch (e) { errors.push(e as Error); }
    const snap: Snapshot = {
      time: this.clock.nowNs(), systemCpuNs, onlineCpus: os.availableParallelism(), workloads,
      durationSeconds: Number(process.hrtime.bigint() - t0) / 1e9, errors: (this.last?.errors ?? 0) + errors.length,
    };
    this.before = this.last;
    this.last = snap;
    for (const fn of this.subscribers) fn(snap);
    return snap;
  }
}
