import { CgroupStats } from './cgroups/types';
import { Limits } from './cgroups/limits';
import { Status } from './workloads/spec';

/** Log pipeline counters of one driver outlet of a workload (totals since the workload was created). */
export interface DriverSample {
  driver: string;
  sent: number;
  /** Dropped lines by reason (buffer-full, send-failed, closed). */
  dropped: Record<string, number>;
  /** Sends that failed (each retry or fail counts one). */
  errors: number;
  retries: number;
  /** Writes to local files that failed (json-file: disk full, I/O errors); absent for drivers that write none. */
  writeErrors?: number;
  /** Bytes of line data waiting in the outlet now. */
  queuedBytes: number;
  /** Bytes of the driver's disk spool (`spool-dir`) now; absent without one. */
  spooledBytes?: number;
}

/** Who runs a workload: corral itself, or one it only watches (read-only). */
export type WorkloadSource = 'corral' | 'docker' | 'systemd' | 'cgroup';

/** What the sampler knows of one workload at one instant. */
export interface WorkloadSample {
  id: string;
  name: string;
  /** Absent means corral (samples made before watching existed). */
  source?: WorkloadSource;
  /** The cgroup path inside its hierarchy ("/corral/<id>"): cAdvisor's `id` label; the last run's when not running. '' if it never had one. */
  cgroupPath: string;
  labels: Readonly<Record<string, string>>;
  state: Status;
  restartCount: number;
  oomKillCount: number;
  /** Unix seconds the current run started (0 if never). */
  startedAt: number;
  limits: Readonly<Limits>;
  /** null when the workload has no live cgroup (not running, or no cgroups on this machine). */
  stats: CgroupStats | null;
  logs: {
    messages: { stdout: number; stderr: number };
    bytes: number;
    drivers: DriverSample[];
  };
}

/** One sampling pass over every workload. */
export interface Snapshot {
  /** Wall-clock ns of the sample. */
  time: bigint;
  /** Host CPU time in ns summed over all CPUs (/proc/stat), for Docker's CPU % formula. */
  systemCpuNs: number;
  onlineCpus: number;
  workloads: WorkloadSample[];
  /** How long the pass took and how many reads failed (tolerated, counted). */
  durationSeconds: number;
  errors: number;
}

export interface Sampler {
  latest(): Snapshot | undefined;
  /** The pass before latest() (rates need two). */
  previous(): Snapshot | undefined;
  /** Called after every pass; returns the unsubscribe function. */
  subscribe(fn: (s: Snapshot) => void): () => void;
  stop(): void;
}
