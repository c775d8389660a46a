import { changed, Controller, Ctx, Entry, has, read, write } from '../controller';
import { CgroupFsError } from '../fsutil';
import { Limits, LimitsError } from '../limits';
import { kv, limit, num } from '../statparse';

const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';

const bytes = (n: number | null) => (n === null ? '-1' : String(n));

/** v1 memory: limit, memsw (memory+swap, exactly Docker's --memory-swap), soft limit, OOM switch. */
export const memoryV1: Controller = {
  name: 'memory',

  refuse(l, ctx) {
    if (l.memorySwap !== null && !has(ctx, MEMSW)) {
      return new LimitsError('memory-swap', `--memory-swap: this kernel does not account swap per cgroup (${MEMSW} is missing; boot with swapaccount=1)`);
    }
    return null;
  },

  desired(l, ctx) {
    const e: Entry[] = [{ file: LIMIT, key: '', value: bytes(l.memory) }];
    if (has(ctx, MEMSW)) e.push({ file: MEMSW, key: '', value: bytes(l.memorySwap) });
    e.push({ file: 'memory.soft_limit_in_bytes', key: '', value: bytes(l.memoryReservation) });
    e.push({ file: 'memory.oom_control', key: '', value: l.oomKillDisable ? '1' : '0' });
    if (l.memorySwappiness !== null) e.push({ file: 'memory.swappiness', key: '', value: String(l.memorySwappiness) });
    return e;
  },

  apply(ctx, from, to) {
    const writes = changed(this.desired(from, ctx), this.desired(to, ctx));
    const lim = writes.find((w) => w.file === LIMIT);
    const sw = writes.find((w) => w.file === MEMSW);
    // The kernel keeps limit <= memsw at every step: when both move, raise memsw first
    // if the new total is above the current limit (or unlimited), else lower the limit first.
    if (lim && sw) {
      const current = limit(read(ctx, LIMIT)) ?? Infinity;
      const swapFirst = to.memorySwap === null || current < to.memorySwap;
      const pair = swapFirst ? [sw, lim] : [lim, sw];
      writes.splice(0, writes.length, ...pair, ...writes.filter((w) => w !== lim && w !== sw));
    }
    for (const w of writes) {
      try {
        write(ctx, w.file, w.value);
      } catch (e) {
        if (w.file === LIMIT && e instanceof CgroupFsError && e.code === 'EBUSY') throw busy(ctx, e, w.value);
        throw e;
      }
    }
  },

  readBack(ctx) {
    const out: Partial<Limits> = {
      memory: limit(read(ctx, LIMIT)),
      memoryReservation: limit(read(ctx, 'memory.soft_limit_in_bytes')),
      oomKillDisable: kv(read(ctx, 'memory.oom_control'), 'oom_kill_disable') === 1,
    };
    if (has(ctx, MEMSW)) out.memorySwap = limit(read(ctx, MEMSW));
    if (has(ctx, 'memory.swappiness')) out.memorySwappiness = num(read(ctx, 'memory.swappiness'));
    return out;
  },

  stats(files, out, errors) {
    const m = out.memory;
    const n = (name: string) => {
      const t = files.read(name, errors);
      return t === null ? null : num(t);
    };
    m.usage = n('memory.usage_in_bytes');
    m.maxUsage = n('memory.max_usage_in_bytes');
    m.failcnt = n('memory.failcnt');
    const st = files.read('memory.stat', errors);
    if (st !== null) {
      // The effective limit comes free with memory.stat: one read fewer per sample.
      const hl = kv(st, 'hierarchical_memory_limit');
      if (hl !== null) m.limit = hl >= 2 ** 62 ? null : hl;
      m.rss = kv(st, 'total_rss');
      m.cache = kv(st, 'total_cache');
      m.swap = kv(st, 'total_swap');
      const inactive = kv(st, 'total_inactive_file');
      if (m.usage !== null) m.workingSet = Math.max(0, m.usage - (inactive ?? 0));
    }
    const oc = files.read('memory.oom_control', errors);
    if (oc !== null) m.oomKills = kv(oc, 'oom_kill');
  },

  oomCounter(ctx) {
    return { file: `${ctx.dir}/memory.oom_control`, key: 'oom_kill' };
  },
};

/** runc's wording for EBUSY: the new limit is below what the cgroup already uses. */
function busy(ctx: Ctx, e: CgroupFsError, value: string): Error {
  let usage = '?';
  let peak = '?';
  try {
    usage = read(ctx, 'memory.usage_in_bytes').trim();
    peak = read(ctx, 'memory.max_usage_in_bytes').trim();
  } catch { /* keep the original error's facts */ }
  return new CgroupFsError('write', e.file, e.code, value, `unable to set memory limit to ${value} (current usage: ${usage}, peak usage: ${peak})`);
}
