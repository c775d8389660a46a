import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupHandle, Detection, V1Backend, V2Backend } from '../../engine/cgroups';
import type { V1Name } from '../../engine/cgroups/v1/backend';
import { kv } from '../../engine/cgroups/statparse';

/**
 * Opens cgroups that others made, for reading only: nothing here creates, writes or removes.
 * On v1 a cgroup may exist in some hierarchies only (systemd makes a service's cgroup where it
 * accounts, never in cpuset), so each one is opened over the hierarchies that have it.
 */
export class CgroupOpener {
  private readonly v1: Array<[V1Name, string]>;
  private readonly v2: string | null;

  constructor(detection: Detection) {
    this.v1 = detection.version === 1 ? Object.entries(detection.v1).map(([n, d]) => [n as V1Name, d!]) : [];
    this.v2 = detection.version === 2 ? detection.v2!.mount : null;
  }

  /** The directories a cgroup path can live in: one per v1 hierarchy, or the v2 tree. */
  roots(): string[] {
    return this.v2 !== null ? [this.v2] : [...new Set(this.v1.map(([, d]) => d))];
  }

  /** A path inside the hierarchy; an absolute one under a mount ("/sys/fs/cgroup/memory/x") loses the mount. */
  normalize(p: string): string {
    const abs = path.posix.normalize(`/${p}`);
    for (const r of this.roots()) if (abs.startsWith(`${r}/`)) return abs.slice(r.length);
    return abs;
  }

  exists(cgPath: string): boolean {
    return this.roots().some((r) => fs.existsSync(path.join(r, cgPath)));
  }

  /** Child directory names of cgPath across every hierarchy. */
  children(cgPath: string): string[] {
    const out = new Set<string>();
    for (const r of this.roots()) {
      try {
        for (const e of fs.readdirSync(path.join(r, cgPath), { withFileTypes: true })) if (e.isDirectory()) out.add(e.name);
      } catch { /* not in this hierarchy */ }
    }
    return [...out];
  }

  /** A read-only handle (limits read back from the files), or undefined when no hierarchy has it. */
  async open(cgPath: string): Promise<CgroupHandle | undefined> {
    if (this.v2 !== null) return this.exists(cgPath) ? new V2Backend({ root: this.v2 }).open(cgPath) : undefined;
    const mounts = Object.fromEntries(this.v1.filter(([, d]) => fs.existsSync(path.join(d, cgPath))));
    if (!Object.keys(mounts).length) return undefined;
    return new V1Backend({ mounts }).open(cgPath);
  }
}

/** Unix seconds the oldest of pids started (/proc/<pid>/stat field 22 after boot), 0 if unknown. */
export function startedAtOf(pids: number[]): number {
  let btime = 0;
  let oldest = Infinity;
  try { btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'latin1'))?.[1] ?? 0); } catch { return 0; }
  for (const pid of pids.slice(0, 64)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      if (Number.isFinite(ticks)) oldest = Math.min(oldest, ticks);
    } catch { /* gone meanwhile */ }
  }
  return btime && oldest !== Infinity ? btime + oldest / 100 : 0;
}

/** The kernel's count of processes OOM-killed in the cgroup (v1 memory.oom_control, v2 memory.events), null if unreadable. */
export function oomKillsOf(h: CgroupHandle): number | null {
  const c = h.oomCounter();
  if (!c) return null;
  try { return kv(fs.readFileSync(c.file, 'latin1'), c.key); } catch { return null; }
}
