/** What a workload is: Docker's container config and host config, minus the image. */
import { Limits } from '../cgroups/limits';

export type RestartName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface RestartPolicy {
  name: RestartName;
  /** on-failure only: give up after this many restarts; 0 = no limit. */
  maximumRetryCount: number;
}

export interface LogConfig {
  type: string;
  config: Record<string, string>;
}

export interface WorkloadSpec {
  id: string;
  name: string;
  /** RFC3339Nano creation time. */
  created: string;
  path: string;
  args: string[];
  env: string[];
  workingDir: string;
  /** As given: "user", "uid", "user:group", "uid:gid", or "" for the agent's own user. */
  user: string;
  labels: Record<string, string>;
  restartPolicy: RestartPolicy;
  autoRemove: boolean;
  /** One per log driver, in the order given; the first is Docker's HostConfig.LogConfig. */
  logConfigs: LogConfig[];
  /** Resource limits in Docker's v1 meaning (null = unlimited). */
  limits: Limits;
}

export type Status = 'created' | 'running' | 'restarting' | 'exited' | 'dead' | 'removing';

export interface WorkloadState {
  status: Status;
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  /** RFC3339Nano, or Go's zero time when never. */
  startedAt: string;
  finishedAt: string;
  restartCount: number;
  error: string;
  /** Stopped by the user: unless-stopped and always don't restart it (until started again). */
  stoppedByUser: boolean;
  /** Kernel start time of pid (from /proc/<pid>/stat) so a recycled pid is never mistaken for ours. */
  pidStartTime: string;
  /** Processes of this workload the kernel OOM-killed, over all its runs. */
  oomKillCount: number;
  /** The holder waiting for the current run (live restore): a restarted agent adopts it. 0 / '' without one. */
  holderPid?: number;
  holderStartTime?: string;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): WorkloadState {
  return {
    status: 'created', pid: 0, exitCode: 0, oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME,
    restartCount: 0, error: '', stoppedByUser: false, pidStartTime: '', oomKillCount: 0,
  };
}

/** A check failed on user input: the message names the flag and the accepted form. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's container-name rule. */
export function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new SpecError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
}

/** `no`, `always`, `unless-stopped`, `on-failure[:N]`, with Docker's checks. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, count, ...rest] = text.split(':');
  if (rest.length) throw new SpecError(`invalid restart policy format: ${text} (use no, always, unless-stopped or on-failure[:max-retries])`);
  switch (name) {
    case '':
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (count !== undefined) throw new SpecError(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
      return { name: name === '' ? 'no' : name, maximumRetryCount: 0 };
    case 'on-failure': {
      if (count === undefined) return { name, maximumRetryCount: 0 };
      if (!/^\d+$/.test(count)) throw new SpecError(`invalid restart policy format: maximum retry count must be an integer, got "${count}"`);
      return { name, maximumRetryCount: Number(count) };
    }
    default:
      throw new SpecError(`invalid restart policy format: unknown policy "${name}" (use no, always, unless-stopped or on-failure[:max-retries])`);
  }
}

/** The workload's 12-character short id. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
