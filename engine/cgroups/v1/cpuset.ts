import * as path from 'node:path';
import { applyInOrder, Controller, Ctx, read } from '../controller';
import { CgroupFs } from '../fsutil';

const CPUS = 'cpuset.cpus';
const MEMS = 'cpuset.mems';

function parentValue(ctx: Ctx, file: string): string {
  return ctx.fs.read(path.join(ctx.parent, file)).trim();
}

/**
 * A new v1 cpuset cgroup starts with empty cpus and mems, and the kernel refuses to
 * take a task (ENOSPC) until both are set: copy them from the parent where empty.
 */
export function initCpuset(fs: CgroupFs, dir: string, parent: string): void {
  for (const f of [CPUS, MEMS]) {
    if (fs.read(path.join(dir, f)).trim() === '') fs.write(path.join(dir, f), fs.read(path.join(parent, f)).trim());
  }
}

/** v1 cpuset: an unset list means "whatever the parent has" (it can't be left empty). */
export const cpusetV1: Controller = {
  name: 'cpuset',
  refuse: () => null,

  desired(l, ctx) {
    return [
      { file: CPUS, key: '', value: l.cpusetCpus ?? parentValue(ctx, CPUS) },
      { file: MEMS, key: '', value: l.cpusetMems ?? parentValue(ctx, MEMS) },
    ];
  },

  apply(ctx, from, to) {
    applyInOrder(this, ctx, from, to);
  },

  readBack(ctx) {
    const own = (f: string) => {
      const v = read(ctx, f).trim();
      return v === parentValue(ctx, f) ? null : v;
    };
    return { cpusetCpus: own(CPUS), cpusetMems: own(MEMS) };
  },

  stats: () => undefined,
};
