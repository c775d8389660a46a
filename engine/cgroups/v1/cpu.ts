import { changed, Controller, Entry, read, write } from '../controller';
import { CgroupFsError } from '../fsutil';
import { cfsOf, Limits, LimitsError } from '../limits';
import { kv, num } from '../statparse';

const SHARES = 'cpu.shares';
const PERIOD = 'cpu.cfs_period_us';
const QUOTA = 'cpu.cfs_quota_us';

/** v1 cpu: shares and CFS bandwidth (period/quota in µs, quota -1 = unlimited); cpu.stat throttling. */
export const cpuV1: Controller = {
  name: 'cpu',

  refuse() {
    return null;
  },

  desired(l) {
    const { period, quota } = cfsOf(l);
    const e: Entry[] = [{ file: SHARES, key: '', value: String(l.cpuShares ?? 1024) }];
    e.push({ file: PERIOD, key: '', value: String(period ?? 100000) });
    e.push({ file: QUOTA, key: '', value: String(quota ?? -1) });
    return e;
  },

  apply(ctx, from, to) {
    const writes = changed(this.desired(from, ctx), this.desired(to, ctx));
    const w = (f: string) => writes.find((x) => x.file === f);
    const shares = w(SHARES);
    if (shares) {
      write(ctx, SHARES, shares.value);
      // The kernel clamps to 2..262144 silently; read back so a clamp is an error, not a surprise.
      const got = num(read(ctx, SHARES));
      const want = Number(shares.value);
      if (got < want) throw new LimitsError('cpu-shares', `the maximum allowed cpu-shares is ${got}`);
      if (got > want) throw new LimitsError('cpu-shares', `the minimum allowed cpu-shares is ${got}`);
    }
    const period = w(PERIOD);
    const quota = w(QUOTA);
    // A period the kernel refuses next to the old quota may be fine next to the new one.
    if (period) {
      try {
        write(ctx, PERIOD, period.value);
      } catch (e) {
        if (!(e instanceof CgroupFsError && e.code === 'EINVAL' && quota)) throw e;
        write(ctx, QUOTA, quota.value);
        write(ctx, PERIOD, period.value);
        return;
      }
    }
    if (quota) write(ctx, QUOTA, quota.value);
  },

  readBack(ctx) {
    const quota = num(read(ctx, QUOTA));
    const shares = num(read(ctx, SHARES));
    const out: Partial<Limits> = { cpuPeriod: num(read(ctx, PERIOD)), cpuQuota: quota > 0 ? quota : null, nanoCpus: null };
    out.cpuShares = shares === 1024 ? null : shares;
    return out;
  },

  stats(files, out, errors) {
    const t = files.read('cpu.stat', errors);
    if (t === null) return;
    out.cpu.periods = kv(t, 'nr_periods');
    out.cpu.throttledPeriods = kv(t, 'nr_throttled');
    out.cpu.throttledNs = kv(t, 'throttled_time');
  },
};
