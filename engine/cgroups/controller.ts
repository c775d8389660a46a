import * as path from 'node:path';
import { CgroupFs, CgroupFsError, errnoOf, FileReader } from './fsutil';
import { Limits, LimitsError } from './limits';
import { CgroupStats, OomCounter } from './types';

/** Where a controller works: its cgroup's directory (and the parent's) in its hierarchy. */
export interface Ctx {
  fs: CgroupFs;
  dir: string;
  parent: string;
}

/**
 * The wanted content of one file, or of one device's line in a per-device file (key =
 * "MAJ:MIN"). `reset` is what to write when the entry goes away (e.g. "254:0 0").
 */
export interface Entry {
  file: string;
  key: string;
  value: string;
  reset?: string;
}

/** One cgroup controller of one version: what it writes for Limits, and what it reads for stats. */
export interface Controller {
  /** Controller (v1: hierarchy) name. */
  readonly name: string;
  /** A refusal when this kernel can't honour part of l in this cgroup. */
  refuse(l: Limits, ctx: Ctx): LimitsError | null;
  desired(l: Limits, ctx: Ctx): Entry[];
  /** Writes what differs between from and to, in an order the kernel accepts. */
  apply(ctx: Ctx, from: Limits, to: Limits): void;
  /** The limits the files say now (for a cgroup adopted without known limits). */
  readBack(ctx: Ctx): Partial<Limits>;
  stats(files: StatFiles, out: CgroupStats, errors: Error[]): void;
  oomCounter?(ctx: Ctx): OomCounter;
}

/** The entries of `to` that differ from `from`, then resets for entries `to` no longer has. */
export function changed(from: Entry[], to: Entry[]): Array<{ file: string; value: string }> {
  const id = (e: Entry) => `${e.file}\0${e.key}`;
  const before = new Map(from.map((e) => [id(e), e.value]));
  const after = new Set(to.map(id));
  const out = to.filter((e) => before.get(id(e)) !== e.value).map((e) => ({ file: e.file, value: e.value }));
  for (const e of from) if (!after.has(id(e)) && e.reset !== undefined) out.push({ file: e.file, value: e.reset });
  return out;
}

/** The default apply: changed entries in the controller's own order. */
export function applyInOrder(c: Controller, ctx: Ctx, from: Limits, to: Limits): void {
  for (const w of changed(c.desired(from, ctx), c.desired(to, ctx))) write(ctx, w.file, w.value);
}

export function write(ctx: Ctx, file: string, value: string): void {
  ctx.fs.write(path.join(ctx.dir, file), value);
}

export function read(ctx: Ctx, file: string): string {
  return ctx.fs.read(path.join(ctx.dir, file));
}

export function has(ctx: Ctx, file: string): boolean {
  return ctx.fs.exists(path.join(ctx.dir, file));
}

/** Limits that need each controller, with the flag to name when it is missing. */
export function neededControllers(l: Limits): Map<string, string> {
  const need = new Map<string, string>();
  const add = (c: string, flag: string, on: boolean) => { if (on && !need.has(c)) need.set(c, flag); };
  add('memory', 'memory', l.memory !== null);
  add('memory', 'memory-swap', l.memorySwap !== null);
  add('memory', 'memory-reservation', l.memoryReservation !== null);
  add('memory', 'oom-kill-disable', l.oomKillDisable);
  add('memory', 'memory-swappiness', l.memorySwappiness !== null);
  add('cpu', 'cpu-shares', l.cpuShares !== null);
  add('cpu', 'cpus', l.nanoCpus !== null);
  add('cpu', 'cpu-period', l.cpuPeriod !== null);
  add('cpu', 'cpu-quota', l.cpuQuota !== null);
  add('cpuset', 'cpuset-cpus', l.cpusetCpus !== null);
  add('cpuset', 'cpuset-mems', l.cpusetMems !== null);
  add('blkio', 'blkio-weight', l.blkioWeight !== null);
  add('blkio', 'blkio-weight-device', l.blkioWeightDevice.length > 0);
  add('blkio', 'device-read-bps', l.deviceReadBps.length > 0);
  add('blkio', 'device-write-bps', l.deviceWriteBps.length > 0);
  add('blkio', 'device-read-iops', l.deviceReadIops.length > 0);
  add('blkio', 'device-write-iops', l.deviceWriteIops.length > 0);
  add('pids', 'pids-limit', l.pidsLimit !== null);
  return need;
}

/**
 * The files a cgroup's stats come from, each opened once and re-read at offset 0.
 * Optional files (absent on older kernels) give null quietly once found missing.
 */
export class StatFiles {
  private readonly readers = new Map<string, FileReader | null>();
  constructor(private readonly fs: CgroupFs, readonly dir: string) {}

  read(name: string, errors: Error[], optional = false): string | null {
    let r = this.readers.get(name);
    if (r === null) return null;
    if (r === undefined) {
      try {
        r = this.fs.open(path.join(this.dir, name));
      } catch (e) {
        if (optional && errnoOf(e) === 'ENOENT') this.readers.set(name, null);
        else errors.push(e as Error);
        return null;
      }
      this.readers.set(name, r);
    }
    try {
      return r.read();
    } catch (e) {
      errors.push(e instanceof CgroupFsError ? e : new CgroupFsError('read', path.join(this.dir, name), errnoOf(e)));
      r.close();
      this.readers.delete(name);
      return null;
    }
  }

  close(): void {
    for (const r of this.readers.values()) r?.close();
    this.readers.clear();
  }
}
