import { applyInOrder, Controller, Ctx, Entry, has, read } from '../controller';
import { DeviceRate, devKey } from '../devices';
import { Limits, LimitsError } from '../limits';
import { blkioV1, deviceLines } from '../statparse';

const THROTTLE = {
  deviceReadBps: 'blkio.throttle.read_bps_device',
  deviceWriteBps: 'blkio.throttle.write_bps_device',
  deviceReadIops: 'blkio.throttle.read_iops_device',
  deviceWriteIops: 'blkio.throttle.write_iops_device',
} as const;

const FLAG = {
  deviceReadBps: 'device-read-bps', deviceWriteBps: 'device-write-bps',
  deviceReadIops: 'device-read-iops', deviceWriteIops: 'device-write-iops',
} as const;

/** CFQ's blkio.weight is gone on multiqueue kernels; BFQ's files take the same 10..1000 values. */
function weightFile(ctx: Ctx, device: boolean): string | null {
  const names = device ? ['blkio.weight_device', 'blkio.bfq.weight_device'] : ['blkio.weight', 'blkio.bfq.weight'];
  return names.find((f) => has(ctx, f)) ?? null;
}

/** v1 blkio: weights and per-device throttles ("MAJ:MIN N"; writing N = 0 removes a rule). */
export const blkioV1Controller: Controller = {
  name: 'blkio',

  refuse(l, ctx) {
    if (l.blkioWeight !== null && !weightFile(ctx, false)) {
      return new LimitsError('blkio-weight', '--blkio-weight: this kernel has no blkio weight (neither blkio.weight nor blkio.bfq.weight exists)');
    }
    if (l.blkioWeightDevice.length && !weightFile(ctx, true)) {
      return new LimitsError('blkio-weight-device', '--blkio-weight-device: this kernel has no per-device blkio weight');
    }
    for (const k of Object.keys(THROTTLE) as Array<keyof typeof THROTTLE>) {
      if (l[k].length && !has(ctx, THROTTLE[k])) return new LimitsError(FLAG[k], `--${FLAG[k]}: ${THROTTLE[k]} is missing (kernel built without block throttling)`);
    }
    return null;
  },

  desired(l, ctx) {
    const e: Entry[] = [];
    const wf = weightFile(ctx, false);
    if (l.blkioWeight !== null && wf) e.push({ file: wf, key: '', value: String(l.blkioWeight) });
    const wdf = weightFile(ctx, true);
    if (wdf) for (const d of l.blkioWeightDevice) e.push({ file: wdf, key: devKey(d), value: `${devKey(d)} ${d.weight}` });
    for (const k of Object.keys(THROTTLE) as Array<keyof typeof THROTTLE>) {
      for (const d of l[k]) e.push({ file: THROTTLE[k], key: devKey(d), value: `${devKey(d)} ${d.rate}`, reset: `${devKey(d)} 0` });
    }
    return e;
  },

  apply(ctx, from, to) {
    applyInOrder(this, ctx, from, to);
  },

  readBack(ctx) {
    const out: Partial<Limits> = {};
    for (const k of Object.keys(THROTTLE) as Array<keyof typeof THROTTLE>) {
      if (!has(ctx, THROTTLE[k])) continue;
      const list: DeviceRate[] = [];
      for (const [dev, rest] of deviceLines(read(ctx, THROTTLE[k]))) {
        const [major, minor] = dev.split(':').map(Number) as [number, number];
        list.push({ path: '', major, minor, rate: Number(rest) });
      }
      out[k] = list;
    }
    return out;
  },

  stats(files, out, errors) {
    const bytes = files.read('blkio.throttle.io_service_bytes_recursive', errors);
    if (bytes !== null) blkioV1(bytes, out.io.devices, false);
    const ops = files.read('blkio.throttle.io_serviced_recursive', errors);
    if (ops !== null) blkioV1(ops, out.io.devices, true);
  },
};
