import * as path from 'node:path';
import { Discovered, WatchSource, idOf } from './entry';
import { CgroupOpener } from './opener';

/** A discovery result: what is known of a workload, and where its cgroup may be (first existing wins). */
export interface Candidate {
  found: Omit<Discovered, 'cgroupPath'>;
  cgroups: string[];
}

/** A workload known by its cgroup alone: its state and start come from the processes in it. */
export function cgroupOnly(source: WatchSource, name: string, cgPath: string, logNote: string): Candidate {
  return {
    found: {
      source, id: idOf(source, cgPath), name, state: 'exited', startedAt: 0, labels: {}, restartCount: 0,
      oomKillCount: 0, limits: null, logPath: '', logNote, pid: 0,
    },
    cgroups: [cgPath],
  };
}

/** The cgroups the operator named (`--watch-cgroup PATH`), each shown as cgroup:<basename>. */
export function namedCgroups(paths: readonly string[], opener: CgroupOpener): Candidate[] {
  return paths.map((p) => {
    const cg = opener.normalize(p);
    const name = `cgroup:${path.posix.basename(cg) || '/'}`;
    return cgroupOnly('cgroup', name, cg, `${name} is a watched cgroup: corral knows no log of it`);
  });
}
