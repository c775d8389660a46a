import { Controller } from '../controller';
import { kv, num } from '../statparse';

/** USER_HZ: cpuacct.stat counts in ticks of 1/100 s (Docker and runc assume the same). */
const NS_PER_TICK = 1e7;

/** v1 cpuacct: CPU time only (its own hierarchy here: cpu and cpuacct are not co-mounted). */
export const cpuacctV1: Controller = {
  name: 'cpuacct',
  refuse: () => null,
  desired: () => [],
  apply: () => undefined,
  readBack: () => ({}),

  stats(files, out, errors) {
    const usage = files.read('cpuacct.usage', errors);
    if (usage !== null) out.cpu.usageNs = num(usage);
    const st = files.read('cpuacct.stat', errors);
    if (st === null) return;
    const user = kv(st, 'user');
    const system = kv(st, 'system');
    out.cpu.userNs = user === null ? null : user * NS_PER_TICK;
    out.cpu.systemNs = system === null ? null : system * NS_PER_TICK;
  },
};
