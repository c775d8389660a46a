import { Limits } from './limits';

/** Block I/O of one device, summed over the workload's cgroup. */
export interface DeviceIo {
  major: number;
  minor: number;
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

/**
 * One shape for both cgroup versions. null = this kernel/cgroup doesn't say (missing file
 * or field); a number is what the kernel reported. Times in nanoseconds, sizes in bytes.
 */
export interface CgroupStats {
  cpu: {
    usageNs: number | null;
    userNs: number | null;
    systemNs: number | null;
    periods: number | null;
    throttledPeriods: number | null;
    throttledNs: number | null;
  };
  memory: {
    usage: number | null;
    /** usage - inactive_file, floored at 0 (docker stats, cAdvisor, kubelet). */
    workingSet: number | null;
    rss: number | null;
    cache: number | null;
    swap: number | null;
    maxUsage: number | null;
    /** null = unlimited. */
    limit: number | null;
    /** v1 memory.failcnt; v2 memory.events "max". */
    failcnt: number | null;
    /** Times the cgroup hit OOM (v2 memory.events "oom"; v1 has no such counter). */
    oomEvents: number | null;
    /** Processes the kernel OOM-killed in this cgroup (v1 oom_control / v2 memory.events "oom_kill"). */
    oomKills: number | null;
  };
  io: { devices: DeviceIo[] };
  pids: { current: number | null; limit: number | null };
}

export function emptyStats(): CgroupStats {
  return {
    cpu: { usageNs: null, userNs: null, systemNs: null, periods: null, throttledPeriods: null, throttledNs: null },
    memory: {
      usage: null, workingSet: null, rss: null, cache: null, swap: null, maxUsage: null, limit: null,
      failcnt: null, oomEvents: null, oomKills: null,
    },
    io: { devices: [] },
    pids: { current: null, limit: null },
  };
}

/** Where the kernel counts OOM kills for a cgroup, so a watcher can poll it. */
export interface OomCounter {
  file: string;
  /** The key whose value is the kill count ("oom_kill" in both versions). */
  key: string;
}

export interface CgroupHandle {
  /** The cgroup's path inside its hierarchy, e.g. "/corral/<name>" (cAdvisor's `id`). */
  readonly path: string;
  /** Absolute directories, one per hierarchy (v1) or the single one (v2). */
  readonly dirs: readonly string[];
  /** The limits as last applied. */
  readonly limits: Readonly<Limits>;
  /** cgroup.procs of each hierarchy, cpuset first (v1 refuses a task before cpuset is set up). */
  procsFiles(): string[];
  /** Moves pid (and its threads) into the cgroup in every hierarchy. */
  join(pid: number): Promise<void>;
  /** Pids in the cgroup (from the first hierarchy). */
  pids(): number[];
  /** Applies l completely or not at all: on a failed write the earlier writes are undone. */
  setLimits(l: Limits): Promise<void>;
  /** Tolerant: a missing file nulls its values and adds an error; never throws. */
  stats(): Promise<{ stats: CgroupStats; errors: Error[] }>;
  /** Synchronous form of stats() for samplers that want no promise per workload. */
  statsSync(errors: Error[]): CgroupStats;
  oomCounter(): OomCounter | null;
  /** Signals every process in the cgroup (v2 SIGKILL: cgroup.kill, which also catches forks). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Runs fn (e.g. a watcher's last read) before the cgroup is removed. */
  beforeDestroy(fn: () => void): () => void;
  /** Removes the cgroup from every hierarchy; fails (EBUSY) while processes remain. */
  destroy(): Promise<void>;
  /** Closes the files kept open for sampling (destroy does it too). */
  close(): void;
}

export interface CgroupBackend {
  /** null: no usable cgroups (workloads run without limits; any limit is refused with `reason`). */
  readonly version: 1 | 2 | null;
  readonly reason?: string;
  /** Refusal for limits this backend/kernel cannot honour, before anything is created. */
  check(l: Limits): void;
  create(name: string, l: Limits): Promise<CgroupHandle>;
  /** An existing cgroup of ours by name (agent restart); its limits are read back unless given. */
  adopt(name: string, l?: Limits): Promise<CgroupHandle>;
  /** Any existing cgroup by its path in the hierarchy ("/corral/x"), e.g. for stats. */
  open(cgroupPath: string, l?: Limits): Promise<CgroupHandle>;
  /** Names of our cgroups that exist now. */
  list(): string[];
  /** Removes our empty cgroups not in keep (left by a crashed agent); never touches others. */
  cleanupLeftovers(keep?: Iterable<string>): Promise<{ removed: string[]; busy: string[] }>;
}
