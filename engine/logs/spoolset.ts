import { Spool, SpoolOptions } from './spool';

/**
 * The open spools of one agent, by folder: the outlets of consecutive runs of a workload (one still
 * sending what the last run left, one taking the new run's lines) share one Spool.
 */
export class SpoolSet {
  private readonly open = new Map<string, Spool>();

  /** The spool in dir, opened on first use; the caller unref()s it when done. */
  acquire(o: SpoolOptions): Spool {
    const have = this.open.get(o.dir);
    if (have) return have.ref();
    const s = Spool.open(o);
    this.open.set(o.dir, s);
    return s.ref(() => { if (this.open.get(o.dir) === s) this.open.delete(o.dir); });
  }
}
