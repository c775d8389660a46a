import { ReadWarning } from '../../../engine/logs/reader';
import { LogFile } from '../logfile';
import { ChainFile } from './chainfile';
import { ChainSource, FileState, missed } from './source';

/**
 * A log whose writer runs in this process. The writer renames, writes and finishes
 * compressions on this thread, synchronously, so what a synchronous step sees is consistent,
 * and its generation numbers say exactly which file follows which and what was lost.
 */
export class LiveSource implements ChainSource {
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
    return this.lf.on({ write: wake, rotate: wake, close: wake });
  }

  state(held: ChainFile): FileState {
    if (held.gen < this.lf.generation) return 'complete';
    return this.lf.isClosed ? 'ended' : 'live';
  }

  next(held: ChainFile, _lastTime: bigint | undefined, warn: (w: ReadWarning) => void): ChainFile | 'end' {
    const oldest = this.oldest();
    let lost: number | undefined = 0;
    for (let g = held.gen + 1; g <= this.lf.generation; g++) {
      const f = g >= oldest ? this.openGen(g) : undefined;
      if (f) {
        if (lost !== 0) warn(missed(lost));
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
