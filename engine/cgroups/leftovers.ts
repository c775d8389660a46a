import * as path from 'node:path';
import { CgroupFs } from './fsutil';
import { rmdirPatiently } from './handle';

/** Our cgroups' names: the sub-directories of our parent in any hierarchy. */
export function listNames(fs: CgroupFs, parents: string[]): string[] {
  const names = new Set<string>();
  for (const p of parents) for (const n of fs.subdirs(p)) names.add(n);
  return [...names].sort();
}

/**
 * Removes cgroups under our parents that are not in keep and are empty (no task, no child):
 * what a crashed agent leaves. Anything with a process in it is reported busy, never touched.
 */
export async function cleanupLeftovers(fs: CgroupFs, parents: string[], keep: Iterable<string>): Promise<{ removed: string[]; busy: string[] }> {
  const kept = new Set(keep);
  const removed: string[] = [];
  const busy: string[] = [];
  for (const name of listNames(fs, parents)) {
    if (kept.has(name)) continue;
    const dirs = parents.map((p) => path.join(p, name)).filter((d) => fs.exists(d));
    const inUse = dirs.some((d) => fs.read(path.join(d, 'cgroup.procs')).trim() !== '' || fs.subdirs(d).length > 0);
    if (inUse) { busy.push(name); continue; }
    try {
      for (const d of dirs.reverse()) await rmdirPatiently(fs, d);
      removed.push(name);
    } catch {
      busy.push(name);
    }
  }
  return { removed, busy };
}
