import * as path from 'node:path';
import { Controller, StatFiles } from '../controller';
import { CgroupFs, realFs } from '../fsutil';
import { Bound, checkCgroupName, Handle, readBackAll, rmdirPatiently } from '../handle';
import { cleanupLeftovers, listNames } from '../leftovers';
import { Limits, NO_LIMITS } from '../limits';
import { CgroupBackend, CgroupHandle } from '../types';
import { cpuV2 } from './cpu';
import { cpusetV2 } from './cpuset';
import { ioV2 } from './io';
import { memoryV2 } from './memory';
import { pidsV2 } from './pids';

const CONTROLLERS: Array<[string, Controller]> = [
  ['cpuset', cpusetV2], ['memory', memoryV2], ['cpu', cpuV2], ['io', ioV2], ['pids', pidsV2],
];

export interface V2Options {
  /** Where the cgroup2 tree is mounted (default /sys/fs/cgroup). */
  root?: string;
  /** Our parent cgroup under root; only what is under it is ever created, changed or removed. */
  parent?: string;
  fs?: CgroupFs;
}

/** Controller names in a cgroup.controllers / cgroup.subtree_control file. */
function names(text: string): Set<string> {
  return new Set(text.split(/\s+/).map((t) => t.replace(/^\+/, '')).filter(Boolean));
}

/** cgroup v2: one directory per workload; controllers come from the parent's subtree_control. */
export class V2Backend implements CgroupBackend {
  readonly version = 2 as const;
  private readonly fs: CgroupFs;
  private readonly root: string;
  private readonly parent: string;

  constructor(opts: V2Options = {}) {
    this.fs = opts.fs ?? realFs;
    this.root = opts.root ?? '/sys/fs/cgroup';
    this.parent = (opts.parent ?? 'corral').replace(/^\/+|\/+$/g, '');
  }

  private get parentDir(): string {
    return path.join(this.root, this.parent);
  }

  /**
   * mkdir -p our parent and switch on, in the levels we own, the controllers their own
   * parent hands down. Controllers the root (or any cgroup not ours) doesn't delegate are
   * left alone: they show up as unavailable, with the reason.
   */
  private ensureParents(): Set<string> {
    const wanted = CONTROLLERS.map(([n]) => n);
    let level = this.root;
    for (const part of this.parent.split('/').filter(Boolean)) {
      level = path.join(level, part);
      this.fs.mkdir(level);
      const have = names(this.fs.read(path.join(level, 'cgroup.controllers')));
      const on = names(this.fs.read(path.join(level, 'cgroup.subtree_control')));
      const add = wanted.filter((n) => have.has(n) && !on.has(n));
      if (add.length) this.fs.write(path.join(level, 'cgroup.subtree_control'), add.map((n) => `+${n}`).join(' '));
    }
    return names(this.fs.read(path.join(this.parentDir, 'cgroup.subtree_control')));
  }

  private handle(cgPath: string, enabled: Set<string>, applied?: Limits, parentDir?: string): Handle {
    const dir = path.join(this.root, cgPath);
    const from = parentDir ?? path.dirname(dir);
    const ctx = { fs: this.fs, dir, parent: path.dirname(dir) };
    const files = new StatFiles(this.fs, dir);
    // cpu.stat exists without the cpu controller (usage only), so cpu always samples.
    const bound: Bound[] = CONTROLLERS.filter(([n]) => enabled.has(n) || n === 'cpu')
      .map(([n, c]) => ({ c, ctx, files, limits: enabled.has(n) }));
    const why = (c: string) => `the ${c === 'blkio' ? 'io' : c} controller is not enabled in ${from}/cgroup.subtree_control (cgroup v2: it has to be delegated to that cgroup first)`;
    return new Handle(cgPath, bound, [dir], applied ?? readBackAll(bound, NO_LIMITS), why);
  }

  check(l: Limits): void {
    this.handle(`/${this.parent}`, this.ensureParents(), NO_LIMITS, this.parentDir).check(l);
  }

  async create(name: string, l: Limits): Promise<CgroupHandle> {
    checkCgroupName(name);
    const enabled = this.ensureParents();
    const cgPath = `/${this.parent}/${name}`;
    this.handle(`/${this.parent}`, enabled, NO_LIMITS, this.parentDir).check(l);
    const dir = path.join(this.root, cgPath);
    const made = this.fs.mkdir(dir);
    try {
      if (!made && this.fs.read(path.join(dir, 'cgroup.procs')).trim()) throw new Error(`cgroup ${cgPath} already exists and has processes`);
      const h = this.handle(cgPath, enabled, made ? NO_LIMITS : undefined);
      h.setLimitsSync(l);
      return h;
    } catch (e) {
      if (made) await rmdirPatiently(this.fs, dir).catch(() => undefined);
      throw e;
    }
  }

  async adopt(name: string, l?: Limits): Promise<CgroupHandle> {
    checkCgroupName(name);
    return this.open(`/${this.parent}/${name}`, l);
  }

  async open(cgPath: string, l?: Limits): Promise<CgroupHandle> {
    const p = path.posix.normalize(`/${cgPath}`);
    const dir = path.join(this.root, p);
    if (!this.fs.exists(dir)) throw new Error(`cgroup ${p} does not exist in ${this.root}`);
    const enabled = names(this.fs.read(path.join(path.dirname(dir), 'cgroup.subtree_control')));
    return this.handle(p, enabled, l);
  }

  list(): string[] {
    return listNames(this.fs, [this.parentDir]);
  }

  cleanupLeftovers(keep: Iterable<string> = []): Promise<{ removed: string[]; busy: string[] }> {
    return cleanupLeftovers(this.fs, [this.parentDir], keep);
  }
}
