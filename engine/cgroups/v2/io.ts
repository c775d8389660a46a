import { applyInOrder, Controller, Ctx, Entry, has, read } from '../controller';
import { blkioToIoWeight, ioMaxLine } from '../convert';
import { DeviceRate, devKey } from '../devices';
import { Limits, LimitsError } from '../limits';
import { deviceLines, ioStatV2 } from '../statparse';

const BFQ = 'io.bfq.weight';
const KEYS = { deviceReadBps: 'rbps', deviceWriteBps: 'wbps', deviceReadIops: 'riops', deviceWriteIops: 'wiops' } as const;
type ThrottleKey = keyof typeof KEYS;

/** BFQ takes per-device weights when its file reads "default N" rather than a bare number (5.4+). */
function bfqPerDevice(ctx: Ctx): boolean {
  return has(ctx, BFQ) && !/^\d+$/.test(read(ctx, BFQ).trim());
}

/** v2 io: BFQ weight (raw 10..1000) or io.weight (converted), and io.max per device. */
export const ioV2: Controller = {
  name: 'io',

  refuse(l, ctx) {
    if (l.blkioWeight !== null && !has(ctx, BFQ) && !has(ctx, 'io.weight')) {
      return new LimitsError('blkio-weight', '--blkio-weight: this kernel has neither io.bfq.weight nor io.weight');
    }
    if (l.blkioWeightDevice.length && !bfqPerDevice(ctx)) {
      return new LimitsError('blkio-weight-device', '--blkio-weight-device: needs the BFQ scheduler with per-device weights (io.bfq.weight "default N", Linux 5.4+)');
    }
    const throttled = (Object.keys(KEYS) as ThrottleKey[]).some((k) => l[k].length > 0);
    if (throttled && !has(ctx, 'io.max')) return new LimitsError('device-read-bps', '--device-*-bps/iops: io.max is missing');
    return null;
  },

  desired(l, ctx) {
    const e: Entry[] = [];
    if (l.blkioWeight !== null) {
      e.push(has(ctx, BFQ)
        ? { file: BFQ, key: 'default', value: String(l.blkioWeight) }
        : { file: 'io.weight', key: 'default', value: String(blkioToIoWeight(l.blkioWeight)) });
    }
    for (const d of l.blkioWeightDevice) e.push({ file: BFQ, key: devKey(d), value: `${devKey(d)} ${d.weight}` });
    const perDev = new Map<string, Partial<Record<(typeof KEYS)[ThrottleKey], number>>>();
    for (const k of Object.keys(KEYS) as ThrottleKey[]) {
      for (const d of l[k]) perDev.set(devKey(d), { ...perDev.get(devKey(d)), [KEYS[k]]: d.rate });
    }
    for (const [dev, r] of perDev) e.push({ file: 'io.max', key: dev, value: ioMaxLine(dev, r), reset: ioMaxLine(dev, {}) });
    return e;
  },

  apply(ctx, from, to) {
    applyInOrder(this, ctx, from, to);
  },

  readBack(ctx) {
    const out: Partial<Limits> = { deviceReadBps: [], deviceWriteBps: [], deviceReadIops: [], deviceWriteIops: [] };
    if (!has(ctx, 'io.max')) return out;
    for (const [dev, rest] of deviceLines(read(ctx, 'io.max'))) {
      const [major, minor] = dev.split(':').map(Number) as [number, number];
      for (const kvp of rest.split(/\s+/)) {
        const [key, val] = kvp.split('=');
        const k = (Object.keys(KEYS) as ThrottleKey[]).find((x) => KEYS[x] === key);
        if (k && val && val !== 'max') (out[k] as DeviceRate[]).push({ path: '', major, minor, rate: Number(val) });
      }
    }
    return out;
  },

  stats(files, out, errors) {
    const t = files.read('io.stat', errors);
    if (t !== null) ioStatV2(t, out.io.devices);
  },
};
