import { applyInOrder, Controller, Entry, has, read } from '../controller';
import { memoryLow, swapMax } from '../convert';
import { Limits, LimitsError } from '../limits';
import { kv, limit, num } from '../statparse';

const SWAP = 'memory.swap.max';

/** v2 memory: memory.max, memory.swap.max (swap alone, so total - memory), memory.low. */
export const memoryV2: Controller = {
  name: 'memory',

  refuse(l, ctx) {
    if (l.oomKillDisable) {
      return new LimitsError('oom-kill-disable', '--oom-kill-disable: not supported on cgroup v2 (the kernel has no switch to turn the OOM killer off)');
    }
    if (l.memorySwappiness !== null) {
      return new LimitsError('memory-swappiness', '--memory-swappiness: not supported on cgroup v2 (there is no per-cgroup swappiness)');
    }
    if (l.memorySwap !== null && !has(ctx, SWAP)) {
      return new LimitsError('memory-swap', `--memory-swap: this kernel does not account swap per cgroup (${SWAP} is missing)`);
    }
    if (l.memorySwap !== null) {
      try { swapMax(l.memorySwap, l.memory); } catch (e) { return new LimitsError('memory-swap', (e as Error).message); }
    }
    return null;
  },

  // runc's order: swap first, then memory, then the reservation.
  desired(l, ctx) {
    const e: Entry[] = [];
    if (has(ctx, SWAP)) e.push({ file: SWAP, key: '', value: swapMax(l.memorySwap, l.memory) });
    e.push({ file: 'memory.max', key: '', value: l.memory === null ? 'max' : String(l.memory) });
    e.push({ file: 'memory.low', key: '', value: memoryLow(l.memoryReservation) });
    return e;
  },

  apply(ctx, from, to) {
    applyInOrder(this, ctx, from, to);
  },

  readBack(ctx) {
    const memory = limit(read(ctx, 'memory.max'));
    const low = num(read(ctx, 'memory.low'));
    const out: Partial<Limits> = { memory, memoryReservation: low > 0 ? low : null };
    if (has(ctx, SWAP)) {
      const swap = limit(read(ctx, SWAP));
      out.memorySwap = swap === null || memory === null ? null : memory + swap;
    }
    return out;
  },

  stats(files, out, errors) {
    const m = out.memory;
    const cur = files.read('memory.current', errors);
    m.usage = cur === null ? null : num(cur);
    const peak = files.read('memory.peak', errors, true);
    m.maxUsage = peak === null ? null : num(peak);
    const st = files.read('memory.stat', errors);
    if (st !== null) {
      m.rss = kv(st, 'anon');
      m.cache = kv(st, 'file');
      const inactive = kv(st, 'inactive_file');
      if (m.usage !== null) m.workingSet = Math.max(0, m.usage - (inactive ?? 0));
    }
    const swap = files.read('memory.swap.current', errors, true);
    m.swap = swap === null ? null : num(swap);
    const ev = files.read('memory.events', errors);
    if (ev !== null) {
      m.failcnt = kv(ev, 'max');
      m.oomEvents = kv(ev, 'oom');
      m.oomKills = kv(ev, 'oom_kill');
    }
  },

  oomCounter(ctx) {
    return { file: `${ctx.dir}/memory.events`, key: 'oom_kill' };
  },
};
