import { CgroupFs, FileReader, realFs } from './fsutil';
import { kv } from './statparse';
import { CgroupHandle, OomCounter } from './types';

export interface OomWatchOptions {
  /** Called once per increase of the kernel's kill counter: the new total and how many are new. */
  onKill: (total: number, added: number) => void;
  /**
   * Poll period (default 1000 ms; Node has no eventfd, and one pread of a tiny file is cheap).
   * 0 = no timer: a sampler that reads stats anyway feeds observe() instead, and exit/destroy
   * still take a reading of their own.
   */
  intervalMs?: number;
  /** Kills already accounted for (an agent that restarts passes what it had stored); default: the counter now. */
  baseline?: number;
  signal?: AbortSignal;
  fs?: CgroupFs;
}

/**
 * Watches a cgroup's OOM-kill counter (v1 memory.oom_control, v2 memory.events: oom_kill).
 * The kernel counts every process it kills there, so a child killed while the workload
 * survives counts too. The file stays open and is re-read at offset 0.
 */
export class OomWatcher {
  private reader: FileReader | null;
  private last: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly counter: OomCounter, private readonly opts: OomWatchOptions) {
    this.reader = (opts.fs ?? realFs).open(counter.file);
    this.last = opts.baseline ?? this.read() ?? 0;
    const every = opts.intervalMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => this.check(), every);
      this.timer.unref();
    }
    opts.signal?.addEventListener('abort', () => this.close(), { once: true });
  }

  /** Kills counted so far. */
  get total(): number {
    return this.last;
  }

  private read(): number | null {
    if (!this.reader) return null;
    try {
      return kv(this.reader.read(), this.counter.key);
    } catch {
      return null; // the cgroup is gone: keep what we have
    }
  }

  /** Reads the counter now (call it when the workload exits) and reports any new kills. */
  check(): number {
    return this.observe(this.read());
  }

  /** Takes a reading made elsewhere (stats().memory.oomKills) and reports any new kills. */
  observe(n: number | null): number {
    if (n !== null && n > this.last) {
      const added = n - this.last;
      this.last = n;
      this.opts.onKill(n, added);
    }
    return this.last;
  }

  /** A last read, then stop. Handles call this before their cgroup is removed. */
  close(): number {
    const n = this.check();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.reader?.close();
    this.reader = null;
    return n;
  }
}

/** Watches h's OOM kills until h is destroyed (which takes a final reading) or the watcher is closed. */
export function watchOom(h: CgroupHandle, opts: OomWatchOptions): OomWatcher | null {
  const counter = h.oomCounter();
  if (!counter) return null;
  const w = new OomWatcher(counter, opts);
  const off = h.beforeDestroy(() => w.close());
  opts.signal?.addEventListener('abort', off, { once: true });
  return w;
}
