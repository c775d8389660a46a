import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as os from 'node:os';
import { Readable } from 'node:stream';
import { gatedCommand, joinAndRelease } from '../cgroups/join';
import { CgroupHandle } from '../cgroups/types';

/** One run of a workload, however it was started: by this agent, or adopted from one that died. */
export interface WorkloadProcess {
  /** The workload's main process (Docker's State.Pid); also its process group and session. */
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The exit code: the process's own, or 128+N when signal N ended it. */
  readonly exited: Promise<number>;
  /** The holder that waits for it, when it has one (what a restarted agent adopts). */
  readonly holder: { pid: number; startTime: string } | undefined;
  /** Sends a signal to the workload's whole process group. */
  signalGroup(sig: NodeJS.Signals): void;
  /** Sends a signal to the main process only (Docker's kill). */
  signal(sig: NodeJS.Signals | number): void;
}

/** How to start the command: already resolved and checked by the caller. */
export interface Launch {
  file: string;
  argv0: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  ident?: { uid: number; gid: number };
  /** The cgroup to run in; the command does not run before it has joined. */
  cgroup?: CgroupHandle;
}

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (os.constants.signals[signal as NodeJS.Signals] ?? 0);
}

export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* gone */ } }
}

/**
 * Without a holder: the workload is the agent's child, its output plain pipes. It dies with
 * the agent's pipes (no live restore).
 */
export async function startPlain(l: Launch): Promise<WorkloadProcess> {
  const gated = l.cgroup !== undefined;
  const { file, args } = gated ? gatedCommand(l.file, l.args) : { file: l.file, args: [...l.args] };
  const child: ChildProcess = spawn(file, args, {
    cwd: l.cwd, env: l.env, argv0: gated ? undefined : l.argv0, detached: true,
    stdio: gated ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    ...(l.ident ? { uid: l.ident.uid, gid: l.ident.gid } : {}),
  });
  const exited = (once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>).then(([c, s]) => exitCodeOf(c, s));
  try {
    await Promise.race([once(child, 'spawn'), once(child, 'error').then(([e]) => { throw e; })]);
    if (l.cgroup) await joinAndRelease(child, l.cgroup);
  } catch (e) {
    if (child.pid !== undefined && child.exitCode === null) { child.kill('SIGKILL'); await exited; }
    throw e;
  }
  const pid = child.pid!;
  return {
    pid, stdout: child.stdout!, stderr: child.stderr!, exited, holder: undefined,
    signalGroup: (sig) => signalGroup(pid, sig),
    signal: (sig) => process.kill(pid, sig),
  };
}
