import { ReadWarning } from '../../../engine/logs/reader';
import { LogFile } from '../logfile';
import { ChainFile } from './chainfile';
import { ChainSource, FileState, missed } from './source';

/** How many not-yet-read files one follower may hold open; past that the oldest are let go (and counted). */
export const MAX_PINNED = 64;

/**
 * A log whose writer runs in this process. The writer renames, writes and finishes
 * compressions on this thread, synchronously, so what a synchronous step sees is consistent,
 * and its generation numbers say exactly which file follows which and what was lost.
 *
 * A follower never loses a file to rotation while it is behind: the first write of every
 * generation opens that file for it (an open fd keeps the data after rename or unlink),
 * up to MAX_PINNED files. Docker's follower skips them silently instead.
 */
export class LiveSource implements ChainSource {
  private readonly pinned = new Map<number, ChainFile>();
  /** The generation the follower holds; newer ones get pinned. */
  private heldGen = -1;
  /** The generation that was cut shorter from outside while the follower held it (-1: none). */
  private truncatedGen = -1;

  constructor(private readonly lf: LogFile) {}

  /** The oldest generation the chain can still hold. */
  private oldest(): number {
    const n = this.lf.opts.maxFiles;
    return n >= 2 ? this.lf.generation - (n - 1) : this.lf.generation;
  }

  private openGen(g: number): ChainFile | undefined {
    const p = this.lf.pathOf(g);
    return p === undefined ? undefined : ChainFile.open(p, g);
  }

  open(): ChainFile[] {
    const files: ChainFile[] = [];
    for (let g = this.oldest(); g <= this.lf.generation; g++) {
      const f = this.openGen(g); // a young log has fewer files than it may keep
      if (f) files.push(f);
    }
    return files;
  }

  watch(wake: () => void): () => void {
    const truncate = () => { if (this.heldGen === this.lf.generation) this.truncatedGen = this.heldGen; wake(); };
    const off = this.lf.on({ write: () => { this.pinCurrent(); wake(); }, rotate: wake, truncate, close: wake });
    return () => {
      off();
      for (const f of this.pinned.values()) f.close();
      this.pinned.clear();
    };
  }

  private pinCurrent(): void {
    const g = this.lf.generation;
    if (g <= this.heldGen || this.pinned.has(g)) return;
    const f = ChainFile.open(this.lf.path, g);
    if (!f) return;
    this.pinned.set(g, f);
    if (this.pinned.size > MAX_PINNED) {
      const oldest = Math.min(...this.pinned.keys());
      this.unpin((g2) => g2 === oldest);
    }
  }

  private unpin(which: (g: number) => boolean): void {
    for (const [g, f] of this.pinned) if (which(g)) { f.close(); this.pinned.delete(g); }
  }

  state(held: ChainFile): FileState {
    this.heldGen = held.gen;
    if (this.truncatedGen === held.gen) { this.truncatedGen = -1; return 'truncated'; }
    if (held.gen < this.lf.generation) return 'complete';
    return this.lf.isClosed ? 'ended' : 'live';
  }

  next(held: ChainFile, _lastTime: bigint | undefined, warn: (w: ReadWarning) => void): ChainFile | 'end' {
    this.unpin((g) => g <= held.gen);
    const oldest = this.oldest();
    let lost: number | undefined = 0;
    for (let g = held.gen + 1; g <= this.lf.generation; g++) {
      const pin = this.pinned.get(g);
      if (pin) this.pinned.delete(g);
      const f = pin ?? (g >= oldest ? this.openGen(g) : undefined);
      if (f) {
        if (lost !== 0) warn(missed(lost));
        this.heldGen = g;
        return f;
      }
      const n = this.lf.entriesIn(g);
      if (n === undefined) {
        lost = undefined; // counts are kept for recent generations only
        g = Math.max(g, oldest - 1);
      } else if (lost !== undefined) {
        lost += n;
      }
    }
    return 'end'; // the current file is gone from disk: nothing more can be read
  }
}
