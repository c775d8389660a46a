import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReadWarning } from '../../../engine/logs/reader';
import { ChainFile } from './chainfile';
import { ChainSource, FileState, missed } from './source';

/**
 * A json-file log known only by its path (Docker's own, or ours after an agent restart):
 * the rotated siblings are found by listing the directory, rotations by the current
 * file's inode changing, and wake-ups come from fs.watch on the directory.
 */
export class PathSource implements ChainSource {
  private readonly dir: string;
  private readonly base: string;

  constructor(readonly file: string) {
    this.dir = path.dirname(file);
    this.base = path.basename(file);
  }

  /** The rotated files (`<base>.N`, else `<base>.N.gz`: a plain one may still be being compressed), oldest first. */
  private rotated(): ChainFile[] {
    const byK = new Map<number, string>();
    const prefix = `${this.base}.`;
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.startsWith(prefix)) continue;
      const m = /^(\d+)(\.gz)?$/.exec(name.slice(prefix.length));
      if (!m) continue;
      const k = Number(m[1]);
      if (!m[2] || !byK.has(k)) byK.set(k, name);
    }
    const files: ChainFile[] = [];
    for (const k of [...byK.keys()].sort((a, b) => b - a)) {
      const f = ChainFile.open(path.join(this.dir, byK.get(k)!), -k);
      if (f) files.push(f);
    }
    return files;
  }

  open(): ChainFile[] {
    const files = this.rotated();
    const current = ChainFile.open(this.file, 0);
    if (!current) {
      for (const f of files) f.close();
      throw Object.assign(new Error(`no such log file: ${this.file}`), { code: 'ENOENT' });
    }
    return [...files, current];
  }

  watch(wake: () => void, fail: (e: Error) => void): () => void {
    const w = fs.watch(this.dir, (_ev, name) => {
      if (!name || name.startsWith(this.base)) wake();
    });
    w.on('error', fail);
    return () => w.close();
  }

  state(held: ChainFile, readPos: number): FileState {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'live'; // mid-rotation: the new file is not there yet
      throw e;
    }
    if (st.ino !== held.stat.ino || st.dev !== held.stat.dev) return 'complete';
    return st.size < readPos ? 'truncated' : 'live';
  }

  /**
   * Finds held in the chain by inode; if it was compressed since (a new inode), by the gzip
   * header's lastTime matching the last entry read from it. If it is not there at all it was
   * rotated out, and so may others have been: continue at the oldest file, warn without a count.
   */
  next(held: ChainFile, lastTime: bigint | undefined, warn: (w: ReadWarning) => void): ChainFile | 'wait' {
    const files = this.rotated();
    const current = ChainFile.open(this.file, 0);
    if (current) files.push(current);
    let i = files.findIndex((f) => f.sameFileAs(held));
    if (i < 0 && lastTime !== undefined) i = findLast(files, (f) => f.gz && f.headerTime() === lastTime);
    const pick = i < 0 ? files[0] : files[i + 1];
    for (const f of files) if (f !== pick) f.close();
    if (!pick) return 'wait';
    if (i < 0) warn(missed(undefined));
    return pick;
  }
}

function findLast<T>(xs: readonly T[], p: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i]!)) return i;
  return -1;
}
