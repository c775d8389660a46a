import { applyInOrder, Controller, read } from '../controller';
import { cpuMax, sharesToWeight } from '../convert';
import { cfsOf, Limits } from '../limits';
import { kv } from '../statparse';

/** The smallest shares value that converts to weight w (the conversion is monotonic). */
function weightToShares(w: number): number {
  let lo = 2;
  let hi = 262144;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (sharesToWeight(mid) < w) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const usecToNs = (n: number | null) => (n === null ? null : n * 1000);

/** v2 cpu: cpu.weight (converted from shares) and cpu.max "quota period". */
export const cpuV2: Controller = {
  name: 'cpu',
  refuse: () => null,

  desired(l) {
    const { period, quota } = cfsOf(l);
    return [
      { file: 'cpu.weight', key: '', value: String(l.cpuShares === null ? 100 : sharesToWeight(l.cpuShares)) },
      { file: 'cpu.max', key: '', value: cpuMax(quota, period) },
    ];
  },

  apply(ctx, from, to) {
    applyInOrder(this, ctx, from, to);
  },

  readBack(ctx) {
    const w = Number(read(ctx, 'cpu.weight').trim());
    const [q, p] = read(ctx, 'cpu.max').trim().split(/\s+/);
    const out: Partial<Limits> = { cpuShares: w === 100 ? null : weightToShares(w), nanoCpus: null };
    out.cpuQuota = q === 'max' || q === undefined ? null : Number(q);
    out.cpuPeriod = p === undefined ? null : Number(p);
    return out;
  },

  // cpu.stat exists without the cpu controller too (usage only); throttling needs the controller.
  stats(files, out, errors) {
    const t = files.read('cpu.stat', errors);
    if (t === null) return;
    out.cpu.usageNs = usecToNs(kv(t, 'usage_usec'));
    out.cpu.userNs = usecToNs(kv(t, 'user_usec'));
    out.cpu.systemNs = usecToNs(kv(t, 'system_usec'));
    out.cpu.periods = kv(t, 'nr_periods');
    out.cpu.throttledPeriods = kv(t, 'nr_throttled');
    out.cpu.throttledNs = usecToNs(kv(t, 'throttled_usec'));
  },
};
