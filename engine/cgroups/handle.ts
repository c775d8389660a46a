import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Ctx, neededControllers, StatFiles } from './controller';
import { CgroupFsError, errnoOf } from './fsutil';
import { Limits, LimitsError } from './limits';
import { CgroupHandle, CgroupStats, emptyStats, OomCounter } from './types';

/** A controller bound to this cgroup's directory in its hierarchy. */
export interface Bound {
  c: Controller;
  ctx: Ctx;
  files: StatFiles;
  /** Limits may be written (v2: enabled in the parent's subtree_control). */
  limits: boolean;
}

/** Setting limits failed at the kernel; the earlier writes were undone (or rollbackErrors say why not). */
export class CgroupLimitError extends Error {
  readonly exitCode = 125;
  constructor(override readonly cause: Error, readonly rollbackErrors: Error[]) {
    super(cause.message + (rollbackErrors.length ? ` (and undoing failed: ${rollbackErrors.map((e) => e.message).join('; ')})` : ''));
    this.name = 'CgroupLimitError';
  }
}

/** The cgroup of one workload, over one (v2) or several (v1) hierarchies. */
export class Handle implements CgroupHandle {
  private applied: Limits;
  private readonly hooks = new Set<() => void>();

  constructor(
    readonly path: string,
    private readonly bound: Bound[],
    /** Unique directories in join order (cpuset first). */
    readonly dirs: readonly string[],
    applied: Limits,
    private readonly missing: (controller: string) => string,
  ) {
    this.applied = applied;
  }

  get limits(): Readonly<Limits> {
    return this.applied;
  }

  private get fs() {
    return this.bound[0]!.ctx.fs;
  }

  procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  async join(pid: number): Promise<void> {
    for (const f of this.procsFiles()) {
      // EINVAL can mean the task is still being set up by fork (runc retries the same way).
      for (let i = 0; ; i++) {
        try {
          this.fs.write(f, String(pid));
          break;
        } catch (e) {
          if (errnoOf(e) === 'EINVAL' && i < 5) { await sleep(30); continue; }
          if (errnoOf(e) === 'ENOSPC') throw new CgroupFsError('write', f, 'ENOSPC', String(pid), 'the cgroup\'s cpuset.cpus or cpuset.mems is empty');
          throw e;
        }
      }
    }
  }

  pids(): number[] {
    if (!this.dirs.length) return [];
    return this.fs.read(path.join(this.dirs[0]!, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  }

  /** Throws LimitsError for limits this cgroup can't take; writes nothing. */
  check(l: Limits): void {
    const usable = new Set(this.bound.filter((b) => b.limits).map((b) => b.c.name === 'io' ? 'blkio' : b.c.name));
    for (const [controller, flag] of neededControllers(l)) {
      if (!usable.has(controller)) throw new LimitsError(flag, `--${flag}: ${this.missing(controller)}`);
    }
    for (const b of this.bound) {
      if (!b.limits) continue;
      const refusal = b.c.refuse(l, b.ctx);
      if (refusal) throw refusal;
    }
  }

  async setLimits(to: Limits): Promise<void> {
    this.setLimitsSync(to);
  }

  /** All or nothing: on a failed write, every controller touched is put back as it was. */
  setLimitsSync(to: Limits): void {
    this.check(to);
    const from = this.applied;
    const done: Bound[] = [];
    for (const b of this.bound.filter((x) => x.limits)) {
      try {
        b.c.apply(b.ctx, from, to);
        done.push(b);
      } catch (e) {
        const undoErrors: Error[] = [];
        for (const u of [b, ...done.reverse()]) {
          try { u.c.apply(u.ctx, to, from); } catch (r) { undoErrors.push(r as Error); }
        }
        if (e instanceof LimitsError && !undoErrors.length) throw e;
        throw new CgroupLimitError(e as Error, undoErrors);
      }
    }
    this.applied = { ...to };
  }

  /**
   * Limits we set ourselves are taken from what we applied (we are their only writer),
   * saving reads on the hot path; a controller that reads the kernel's value for free
   * (v1 memory.stat's hierarchical_memory_limit) overrides it.
   */
  statsSync(errors: Error[]): CgroupStats {
    const out = emptyStats();
    out.memory.limit = this.applied.memory;
    out.pids.limit = this.applied.pidsLimit;
    for (const b of this.bound) b.c.stats(b.files, out, errors);
    return out;
  }

  async stats(): Promise<{ stats: CgroupStats; errors: Error[] }> {
    const errors: Error[] = [];
    return { stats: this.statsSync(errors), errors };
  }

  oomCounter(): OomCounter | null {
    const m = this.bound.find((b) => b.c.oomCounter && b.limits);
    return m ? m.c.oomCounter!(m.ctx) : null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const kill = this.dirs.length === 1 ? path.join(this.dirs[0]!, 'cgroup.kill') : '';
    if (signal === 'SIGKILL' && kill && this.fs.exists(kill)) return this.fs.write(kill, '1');
    for (const pid of this.pids()) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
  }

  beforeDestroy(fn: () => void): () => void {
    this.hooks.add(fn);
    return () => this.hooks.delete(fn);
  }

  close(): void {
    for (const b of this.bound) b.files.close();
  }

  async destroy(): Promise<void> {
    for (const fn of [...this.hooks]) {
      try { fn(); } catch { /* a watcher's last read must not keep the cgroup alive */ }
    }
    this.hooks.clear();
    this.close();
    for (const d of [...this.dirs].reverse()) await rmdirPatiently(this.fs, d);
  }
}

/** rmdir; a just-exited task can keep a cgroup busy for a moment, so retry EBUSY briefly. */
export async function rmdirPatiently(fs: { rmdir(d: string): void }, dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      fs.rmdir(dir);
      return;
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT') return;
      if (code === 'EBUSY' && i < 20) { await sleep(25); continue; }
      throw e;
    }
  }
}

/** The limits a cgroup's files hold now, for one adopted without its stored limits. */
export function readBackAll(bound: Bound[], base: Limits): Limits {
  const out = { ...base };
  for (const b of bound) if (b.limits) Object.assign(out, b.c.readBack(b.ctx));
  return out;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A cgroup name is one path component of ours: no "/", no "..". */
export function checkCgroupName(name: string): void {
  if (!NAME.test(name)) throw new Error(`invalid cgroup name ${JSON.stringify(name)}: use [A-Za-z0-9][A-Za-z0-9_.-]*`);
}
