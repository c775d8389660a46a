import { ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { CgroupHandle } from './types';

/**
 * How a workload gets into its cgroup before its command runs. Node can't run code
 * between fork and exec, so the child starts as a tiny `sh` that waits on fd 3; the
 * agent writes the child's pid into every cgroup.procs itself (real errno messages,
 * retries, ENOSPC explained), then opens the gate and sh execs the command, which
 * therefore never runs outside its limits. If joining fails the agent kills the sh.
 *
 *   const { file, args } = gatedCommand(resolved, spec.args);
 *   const child = spawn(file, args, { ..., stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
 *   await joinAndRelease(child, handle);   // throws (child killed) if it can't join
 */
export const GATE_FD = 3;

// read fails on EOF (gate closed without "go"): never exec unjoined.
const GATE_SCRIPT = 'read _ <&3 || exit 125; exec 3<&-; exec "$@"';

export function gatedCommand(file: string, args: readonly string[]): { file: string; args: string[] } {
  return { file: '/bin/sh', args: ['-c', GATE_SCRIPT, 'corral-gate', file, ...args] };
}

export async function joinAndRelease(child: ChildProcess, handle: CgroupHandle): Promise<void> {
  const gate = child.stdio[GATE_FD] as Writable | null | undefined;
  if (!gate || child.pid === undefined) {
    child.kill('SIGKILL');
    throw new Error('cannot join the cgroup: spawn the gated command with stdio[3] = "pipe"');
  }
  gate.on('error', () => undefined); // EPIPE if the child is already gone: its exit says why
  try {
    await handle.join(child.pid);
  } catch (e) {
    child.kill('SIGKILL');
    gate.destroy();
    throw e;
  }
  gate.end('go\n');
}

/**
 * The simpler variant, for a spawner that can't hold a pipe: the shell joins itself
 * (`echo $$ > cgroup.procs` per hierarchy, cpuset first) and exits 125 if any fails.
 */
export function selfJoiningCommand(procsFiles: readonly string[], file: string, args: readonly string[]): { file: string; args: string[] } {
  const script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';
  return { file: '/bin/sh', args: ['-c', script, 'corral-join', String(procsFiles.length), ...procsFiles, file, ...args] };
}
