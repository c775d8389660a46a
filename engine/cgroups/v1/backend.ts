import * as path from 'node:path';
import { Controller, StatFiles } from '../controller';
import { CgroupFs, realFs } from '../fsutil';
import { Bound, checkCgroupName, Handle, readBackAll, rmdirPatiently } from '../handle';
import { cleanupLeftovers, listNames } from '../leftovers';
import { Limits, NO_LIMITS } from '../limits';
import { CgroupBackend, CgroupHandle } from '../types';
import { blkioV1Controller } from './blkio';
import { cpuV1 } from './cpu';
import { cpuacctV1 } from './cpuacct';
import { cpusetV1, initCpuset } from './cpuset';
import { memoryV1 } from './memory';
import { pidsController } from './pids';

export type V1Name = 'cpuset' | 'memory' | 'cpu' | 'cpuacct' | 'blkio' | 'pids';

/** Join order matters: cpuset first, since the kernel refuses tasks until it is set up. */
const CONTROLLERS: Array<[V1Name, Controller]> = [
  ['cpuset', cpusetV1], ['memory', memoryV1], ['cpu', cpuV1], ['cpuacct', cpuacctV1],
  ['blkio', blkioV1Controller], ['pids', pidsController],
];

export interface V1Options {
  /** Controller -> the directory its hierarchy is mounted on (co-mounted ones share one). */
  mounts: Partial<Record<V1Name, string>>;
  /** Our parent cgroup in every hierarchy; only what is under it is ever created or removed. */
  parent?: string;
  fs?: CgroupFs;
}

/** cgroup v1: one directory per hierarchy for each workload, all named /<parent>/<name>. */
export class V1Backend implements CgroupBackend {
  readonly version = 1 as const;
  private readonly fs: CgroupFs;
  private readonly parent: string;
  private readonly mounts: Array<[V1Name, Controller, string]>;

  constructor(opts: V1Options) {
    this.fs = opts.fs ?? realFs;
    this.parent = (opts.parent ?? 'corral').replace(/^\/+|\/+$/g, '');
    this.mounts = CONTROLLERS.filter(([n]) => opts.mounts[n]).map(([n, c]) => [n, c, opts.mounts[n]!]);
  }

  private uniqueMounts(): string[] {
    return [...new Set(this.mounts.map(([, , m]) => m))];
  }

  private bind(cgPath: string): { bound: Bound[]; dirs: string[] } {
    const bound = this.mounts.map(([, c, m]) => {
      const dir = path.join(m, cgPath);
      return { c, ctx: { fs: this.fs, dir, parent: path.dirname(dir) }, files: new StatFiles(this.fs, dir), limits: true };
    });
    return { bound, dirs: [...new Set(bound.map((b) => b.ctx.dir))] };
  }

  /** applied undefined: read the limits back from the files. */
  private handle(cgPath: string, applied?: Limits): Handle {
    const { bound, dirs } = this.bind(cgPath);
    return new Handle(cgPath, bound, dirs, applied ?? readBackAll(bound, NO_LIMITS), (c) => `the ${c} cgroup controller is not mounted (cgroup v1)`);
  }

  check(l: Limits): void {
    this.ensureParents();
    this.handle(`/${this.parent}`, NO_LIMITS).check(l);
  }

  /** mkdir -p our parent; levels we create in cpuset get the cpus/mems of theirs. */
  private ensureParents(): void {
    for (const m of this.uniqueMounts()) {
      let dir = m;
      for (const part of this.parent.split('/').filter(Boolean)) {
        const up = dir;
        dir = path.join(dir, part);
        const made = this.fs.mkdir(dir);
        if (this.isCpuset(m) && (made || dir === path.join(m, this.parent))) initCpuset(this.fs, dir, up);
      }
    }
  }

  private isCpuset(mount: string): boolean {
    return this.mounts.some(([n, , m]) => n === 'cpuset' && m === mount);
  }

  async create(name: string, l: Limits): Promise<CgroupHandle> {
    checkCgroupName(name);
    this.check(l);
    const cgPath = `/${this.parent}/${name}`;
    const made: string[] = [];
    try {
      let fresh = true;
      for (const m of this.uniqueMounts()) {
        const dir = path.join(m, cgPath);
        if (this.fs.mkdir(dir)) made.push(dir);
        else {
          fresh = false;
          if (this.fs.read(path.join(dir, 'cgroup.procs')).trim()) throw new Error(`cgroup ${cgPath} already exists and has processes`);
        }
        if (this.isCpuset(m)) initCpuset(this.fs, dir, path.dirname(dir));
      }
      const h = this.handle(cgPath, fresh ? NO_LIMITS : undefined);
      h.setLimitsSync(l);
      return h;
    } catch (e) {
      for (const d of made.reverse()) await rmdirPatiently(this.fs, d).catch(() => undefined);
      throw e;
    }
  }

  async adopt(name: string, l?: Limits): Promise<CgroupHandle> {
    checkCgroupName(name);
    return this.open(`/${this.parent}/${name}`, l);
  }

  async open(cgPath: string, l?: Limits): Promise<CgroupHandle> {
    const p = path.posix.normalize(`/${cgPath}`);
    for (const m of this.uniqueMounts()) {
      if (!this.fs.exists(path.join(m, p))) throw new Error(`cgroup ${p} does not exist in ${m}`);
    }
    return this.handle(p, l);
  }

  list(): string[] {
    return listNames(this.fs, this.parentDirs());
  }

  cleanupLeftovers(keep: Iterable<string> = []): Promise<{ removed: string[]; busy: string[] }> {
    return cleanupLeftovers(this.fs, this.parentDirs(), keep);
  }

  private parentDirs(): string[] {
    return this.uniqueMounts().map((m) => path.join(m, this.parent));
  }
}
