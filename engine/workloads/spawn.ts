import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CgroupHandle } from '../cgroups/types';
import { Launch } from './process';
import { WorkloadSpec } from './spec';
import { resolveUser } from './user';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The command could not be run: exit code 126 (not executable) or 127 (not found), as Docker. */
export class ExecError extends Error {
  constructor(message: string, readonly exitCode: 126 | 127) {
    super(message);
    this.name = 'ExecError';
  }
}

function envValue(env: readonly string[], key: string): string | undefined {
  for (let i = env.length - 1; i >= 0; i--) if (env[i]!.startsWith(`${key}=`)) return env[i]!.slice(key.length + 1);
  return undefined;
}

/** Finds the executable as execvp would, so "not found" and "not executable" get Docker's codes and words. */
export function resolveCommand(cmd: string, env: readonly string[], cwd: string): string {
  const candidates = cmd.includes('/')
    ? [path.resolve(cwd, cmd)]
    : (envValue(env, 'PATH') ?? DEFAULT_PATH).split(':').filter(Boolean).map((d) => path.join(d, cmd));
  let denied: string | undefined;
  for (const c of candidates) {
    let st: fs.Stats;
    try { st = fs.statSync(c); } catch { continue; }
    if (st.isDirectory()) { denied ??= c; continue; }
    try { fs.accessSync(c, fs.constants.X_OK); return c; } catch { denied ??= c; }
  }
  if (denied) throw new ExecError(`exec: "${cmd}": permission denied`, 126);
  throw new ExecError(cmd.includes('/') ? `exec: "${cmd}": stat ${cmd}: no such file or directory` : `exec: "${cmd}": executable file not found in $PATH`, 127);
}

/** The environment a workload sees: Docker's defaults (PATH, HOSTNAME, HOME) under the user's -e values. */
export function workloadEnv(spec: WorkloadSpec, home: string): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: os.hostname(), HOME: home };
  for (const kv of spec.env) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

/**
 * What starting the workload takes: the command resolved as execvp would (ExecError 126/127
 * otherwise), Docker's environment, the user, and the working directory (created if missing,
 * as Docker). The workload runs in its own session, so stop reaches its whole process group
 * and the agent's terminal signals don't.
 */
export function prepareLaunch(spec: WorkloadSpec, cgroup: CgroupHandle | undefined): Launch {
  const ident = spec.user ? resolveUser(spec.user) : undefined;
  const cwd = spec.workingDir || '/';
  fs.mkdirSync(cwd, { recursive: true });
  const env = workloadEnv(spec, ident?.home ?? (process.getuid?.() === 0 ? '/root' : os.homedir()));
  const file = resolveCommand(spec.path, Object.entries(env).map(([k, v]) => `${k}=${v}`), cwd);
  return { file, argv0: spec.path, args: spec.args, cwd, env, ident: ident ? { uid: ident.uid, gid: ident.gid } : undefined, cgroup };
}

/** The kernel's start time of a pid (field 22 of /proc/<pid>/stat), or '' if it is gone. */
export function pidStartTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}
