import { toHostConfig } from '../engine/cgroups';
import { Workload } from '../engine/workloads/supervisor';
import { redactEnv, redactLogOpts, redactText, redactValues } from './redact';

const same = <T>(x: T) => x;

/**
 * `corral inspect`: shaped like Docker's container JSON, so scripts written for it keep working.
 * Secrets are masked (agent/redact.ts) unless `redact` is false (`--no-redact`).
 */
export function inspectWorkload(w: Workload, logPath: string, redact = true) {
  const { spec, state } = w;
  const text = redact ? redactText : same<string>;
  const opts = redact ? redactLogOpts : same<Record<string, string>>;
  const args = spec.args.map(text);
  const { sent, dropped } = w.dropCounts();
  return {
    Id: spec.id,
    Created: spec.created,
    Path: text(spec.path),
    Args: args,
    State: {
      Status: state.status,
      Running: state.status === 'running',
      Paused: false,
      Restarting: state.status === 'restarting',
      OOMKilled: state.oomKilled,
      /** corral's own: processes of this workload the kernel OOM-killed, over all runs. */
      OOMKillCount: state.oomKillCount,
      Dead: state.status === 'dead',
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: text(state.error),
      StartedAt: state.startedAt,
      FinishedAt: state.finishedAt,
      RestartCount: state.restartCount,
    },
    Name: `/${spec.name}`,
    RestartCount: state.restartCount,
    LogPath: logPath,
    Config: {
      Cmd: [text(spec.path), ...args],
      Env: redact ? redactEnv(spec.env) : spec.env,
      Labels: redact ? redactValues(spec.labels) : spec.labels,
      WorkingDir: spec.workingDir,
      User: spec.user,
    },
    HostConfig: {
      LogConfig: { Type: spec.logConfigs[0]!.type, Config: opts(spec.logConfigs[0]!.config) },
      /** corral's own: every log driver when there are several (LogConfig is the first). */
      ...(spec.logConfigs.length > 1 ? { LogConfigs: spec.logConfigs.map((c) => ({ Type: c.type, Config: opts(c.config) })) } : {}),
      RestartPolicy: { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount },
      AutoRemove: spec.autoRemove,
      ...toHostConfig(spec.limits),
    },
    /**
     * corral's own (Docker counts none): lines the first driver delivered, lines each outlet
     * delivered (the local cache is `cache`), and lines dropped per outlet and reason.
     */
    LogStats: { Sent: sent[spec.logConfigs[0]!.type] ?? 0, SentBy: sent, Dropped: dropped },
  };
}

export type InspectJson = ReturnType<typeof inspectWorkload>;
