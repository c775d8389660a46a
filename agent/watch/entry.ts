import { createHash } from 'node:crypto';
import { CgroupHandle, Limits, NO_LIMITS } from '../../engine/cgroups';
import { SampleSource } from '../../engine/sampler';
import { WorkloadSample } from '../../engine/snapshot';
import { Status } from '../../engine/workloads/spec';

export type WatchSource = 'docker' | 'systemd' | 'cgroup';

/** The label that says where a watched workload comes from: container_label_corral_source in /metrics. */
export const SOURCE_LABEL = 'corral.source';

/** What one rescan learnt of a workload corral did not start. */
export interface Discovered {
  source: WatchSource;
  /** 64 hex: Docker's own id, else derived from the cgroup path (stable across rescans and agents). */
  id: string;
  /** Prefixed by source: docker:web, systemd:nginx.service, cgroup:worker. */
  name: string;
  /** Where its cgroup is in the hierarchy ('' when it has none now). */
  cgroupPath: string;
  state: Status;
  /** Unix seconds (0 unknown). */
  startedAt: number;
  labels: Record<string, string>;
  restartCount: number;
  oomKillCount: number;
  /** null: whatever the cgroup's files say. */
  limits: Limits | null;
  /** Its json-file log, or '' with the reason in logNote. */
  logPath: string;
  logNote: string;
  pid: number;
}

/** The id of a workload known by its cgroup only. */
export function idOf(source: WatchSource, cgroupPath: string): string {
  return createHash('sha256').update(`${source}:${cgroupPath}`).digest('hex');
}

/** Labels carry the source too, so /metrics can tell watched ones apart the way cAdvisor shows labels. */
const withSource = (d: Discovered): Discovered => ({ ...d, labels: { ...d.labels, [SOURCE_LABEL]: d.source } });

/** A watched workload as the sampler reads it: a description, and its cgroup opened read-only. */
export class WatchedWorkload implements SampleSource {
  private handle: CgroupHandle | undefined;
  private stopped = new AbortController();

  constructor(public info: Discovered, handle: CgroupHandle | undefined) {
    this.info = withSource(info);
    this.handle = handle;
  }

  get cgroupHandle(): CgroupHandle | undefined {
    return this.handle;
  }

  get lastCgroupPath(): string {
    return this.info.cgroupPath;
  }

  get running(): boolean {
    return this.info.state === 'running';
  }

  /** Aborted once a rescan finds it no longer running (ends `logs -f`, as Docker's does). */
  get ended(): AbortSignal {
    return this.stopped.signal;
  }

  describe(): Omit<WorkloadSample, 'stats' | 'cgroupPath'> {
    const d = this.info;
    return {
      id: d.id, name: d.name, source: d.source, labels: d.labels, state: d.state, restartCount: d.restartCount,
      oomKillCount: d.oomKillCount, startedAt: d.startedAt, limits: d.limits ?? this.handle?.limits ?? NO_LIMITS,
      logs: { messages: { stdout: 0, stderr: 0 }, bytes: 0, drivers: [] },
    };
  }

  /** Takes a rescan's findings and its newly opened handle (the old one is closed). */
  update(info: Discovered, handle: CgroupHandle | undefined): void {
    if (handle !== this.handle) this.handle?.close();
    this.handle = handle;
    if (info.state !== 'running' && this.running) this.stopped.abort();
    if (info.state === 'running' && this.stopped.signal.aborted) this.stopped = new AbortController();
    this.info = withSource(info);
  }

  close(): void {
    this.handle?.close();
    this.handle = undefined;
    this.stopped.abort();
  }
}
