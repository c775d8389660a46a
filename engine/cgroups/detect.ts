import * as fs from 'node:fs';
import * as path from 'node:path';
import type { V1Name } from './v1/backend';

/** One cgroup mount from /proc/self/mountinfo. */
export interface CgroupMount {
  mountPoint: string;
  fstype: 'cgroup' | 'cgroup2';
  /** Super options: for v1 the controllers ("cpu", "memory", "name=systemd"...). */
  options: string[];
}

export interface ControllerAccess {
  name: string;
  dir: string;
  writable: boolean;
}

export interface Detection {
  /** unified: cgroup2 only; v1: v1 hierarchies only; hybrid: v1 controllers plus a cgroup2 tree. */
  mode: 'unified' | 'v1' | 'hybrid' | 'none';
  /** The backend to use: where the controllers are. */
  version: 1 | 2 | null;
  v1: Partial<Record<V1Name, string>>;
  v2: { mount: string; controllers: string[] } | null;
  /** The controllers the chosen backend would use, and whether we may write there. */
  controllers: ControllerAccess[];
  writable: boolean;
  /** Why limits can't be set, when they can't. */
  reason?: string;
}

const V1_NAMES: V1Name[] = ['cpuset', 'memory', 'cpu', 'cpuacct', 'blkio', 'pids'];
const V2_NAMES = ['cpuset', 'cpu', 'io', 'memory', 'pids'];
export const NOT_WRITABLE = 'cgroups not writable: run the agent as root or delegate a cgroup v2 subtree';

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0) continue;
    const fstype = f[sep + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    out.push({ mountPoint: unescape(f[4]!), fstype, options: (f[sep + 3] ?? '').split(',') });
  }
  return out;
}

export interface DetectOptions {
  /** Path of the mountinfo file (default /proc/self/mountinfo). */
  mountinfo?: string;
  /** Prepended to every mount point: runs detection against a fixture tree. */
  prefix?: string;
  /** Whether the agent may create cgroups under dir (default: access(2) W_OK). */
  writable?: (dir: string) => boolean;
}

function canWrite(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Works out, once, which cgroup layout this machine has and whether we may use it. */
export function detectCgroups(opts: DetectOptions = {}): Detection {
  const text = fs.readFileSync(opts.mountinfo ?? '/proc/self/mountinfo', 'utf8');
  const at = (p: string) => (opts.prefix ? path.join(opts.prefix, p) : p);
  const writable = opts.writable ?? canWrite;
  const mounts = parseMountinfo(text);
  const v1: Partial<Record<V1Name, string>> = {};
  for (const m of mounts.filter((x) => x.fstype === 'cgroup')) {
    for (const o of m.options) if ((V1_NAMES as string[]).includes(o) && !v1[o as V1Name]) v1[o as V1Name] = at(m.mountPoint);
  }
  const m2 = mounts.find((x) => x.fstype === 'cgroup2');
  let v2: Detection['v2'] = null;
  if (m2) {
    let have: string[] = [];
    try { have = fs.readFileSync(path.join(at(m2.mountPoint), 'cgroup.controllers'), 'utf8').split(/\s+/); } catch { /* none */ }
    v2 = { mount: at(m2.mountPoint), controllers: have.filter((c) => V2_NAMES.includes(c)) };
  }
  const hasV1 = Object.keys(v1).length > 0;
  const mode: Detection['mode'] = hasV1 ? (m2 ? 'hybrid' : 'v1') : m2 ? 'unified' : 'none';
  if (mode === 'none') {
    return { mode, version: null, v1, v2, controllers: [], writable: false, reason: 'no cgroup filesystem is mounted' };
  }
  const version = hasV1 ? 1 : 2;
  const controllers: ControllerAccess[] = version === 1
    ? Object.entries(v1).map(([name, dir]) => ({ name, dir: dir!, writable: writable(dir!) }))
    : v2!.controllers.map((name) => ({ name, dir: v2!.mount, writable: writable(v2!.mount) }));
  const anyWritable = version === 1 ? controllers.some((c) => c.writable) : writable(v2!.mount);
  return { mode, version, v1, v2, controllers, writable: anyWritable, ...(anyWritable ? {} : { reason: NOT_WRITABLE }) };
}
