import * as fs from 'node:fs';
import * as path from 'node:path';
import { compressRotated } from './compress';

export interface LogFileOptions {
  /** Rotate when the current file has reached this many bytes; null = never. */
  maxSize: number | null;
  /** Files kept in all, the current one included (>= 1). */
  maxFiles: number;
  compress: boolean;
}

export interface LogFileEvents {
  /** After bytes were appended to the current file. */
  write(): void;
  /** After the current file was rotated away and a new one opened (or recreated after it was deleted from outside). */
  rotate(): void;
  /** The current file was found cut shorter from outside (logrotate copytruncate): followers read it again from the start. */
  truncate(): void;
  /** After the writer closed: nothing more will be written. */
  close(): void;
}

const KEEP_COUNTS = 4096;
/** Files on their way out are renamed to `<base>.del-<n>` (which no reader takes for a log file) and removed in the background. */
const TRASH = '.del-';

/**
 * The files of one json-file log: `<base>`, `<base>.1` ... `<base>.N-1` (`.gz` when compressed),
 * as Docker lays them out. Owns appending, rotation and compression, and tells readers
 * what happened so a follower never has to poll or guess.
 *
 * Generations: the file created at open has generation 0 and each rotation starts the next,
 * so the file at `<base>.k` holds generation `generation - k`. A reader holding an older
 * generation can find the one after it, or learn how many entries were rotated away.
 */
export class LogFile {
  private fd: number;
  private size: number;
  private gen = 0;
  private lastTime: string | undefined;
  private readonly counts = new Map<number, number>();
  private readonly listeners = new Set<Partial<LogFileEvents>>();
  private closed = false;
  /** Compressions and removals still running, so close() can wait for them. */
  private readonly compressing = new Set<Promise<void>>();
  private readonly removing = new Set<Promise<void>>();
  private trashSeq = 0;

  constructor(readonly path: string, readonly opts: LogFileOptions) {
    removeStaleTrash(path);
    this.fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o640);
    this.size = fs.fstatSync(this.fd).size;
    this.counts.set(0, 0);
  }

  get generation(): number { return this.gen; }
  get isClosed(): boolean { return this.closed; }
  get currentSize(): number { return this.size; }

  /** True when the next entry must go to a new file (Docker checks before each write). */
  needsRotation(): boolean {
    return this.opts.maxSize !== null && this.size >= this.opts.maxSize;
  }

  /**
   * Notices what was done to the current file from outside since the last write: deleted (its
   * folder too, perhaps) -> recreated, as a new generation, so followers move on to it;
   * truncated (logrotate copytruncate) -> sizes count from what is left, followers start it over.
   */
  reconcile(): void {
    const st = fs.fstatSync(this.fd);
    if (st.nlink === 0) {
      const fd = openCurrent(this.path, 0);
      this.switchTo(fd, fs.fstatSync(fd).size);
      this.emit('rotate');
    } else if (st.size < this.size) {
      this.size = st.size;
      this.emit('truncate');
    }
  }

  /** Appends whole entries (count of them, the last one stamped lastTime). */
  append(bytes: Buffer, entries: number, lastTime: string): void {
    let off = 0;
    try {
      while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (e) {
      // Cut short (disk full): take back what went in, so no half entry stays and a retry writes it whole.
      if (off > 0) this.takeBack(off);
      throw e;
    }
    this.size += bytes.length;
    this.lastTime = lastTime;
    this.counts.set(this.gen, (this.counts.get(this.gen) ?? 0) + entries);
    this.emit('write');
  }

  /**
   * Renames the chain one step down and opens a fresh current file. The file that falls off
   * the end is renamed out of the chain at once and deleted in the background: freeing its
   * pages costs milliseconds that the write path should not wait for.
   */
  rotate(): void {
    const n = this.opts.maxFiles;
    if (n < 2) {
      this.discard(this.path);
    } else {
      this.discard(`${this.path}.${n - 1}`);
      this.discard(`${this.path}.${n - 1}.gz`);
      // Only files that exist move: max-file=1000000000 must not mean a billion renames per rotation.
      for (let i = Math.min(n - 1, highestRotated(this.path) + 1); i >= 2; i--) {
        renameQuiet(`${this.path}.${i - 1}`, `${this.path}.${i}`);
        renameQuiet(`${this.path}.${i - 1}.gz`, `${this.path}.${i}.gz`);
      }
      renameQuiet(this.path, `${this.path}.1`); // gone when deleted from outside
    }
    const rotatedGen = this.gen;
    const rotatedLast = this.lastTime;
    // The old fd is closed only once the new file is open: a failed open leaves a valid fd behind.
    this.switchTo(openCurrent(this.path, fs.constants.O_TRUNC), 0);
    if (this.opts.compress && n >= 2) this.startCompression(rotatedGen, rotatedLast);
    this.emit('rotate');
  }

  /**
   * Where generation g lives now: the path of its file (plain or .gz, whichever exists),
   * or undefined when it has been rotated out of the chain (or does not exist yet).
   */
  pathOf(g: number): string | undefined {
    const k = this.gen - g;
    if (k < 0 || k > this.opts.maxFiles - 1 || (k > 0 && this.opts.maxFiles < 2)) return undefined;
    if (k === 0) return this.path;
    const plain = `${this.path}.${k}`;
    return fs.existsSync(plain) ? plain : `${this.path}.${k}.gz`;
  }

  /** Entries written to generation g, if still remembered. */
  entriesIn(g: number): number | undefined {
    return this.counts.get(g);
  }

  on(listener: Partial<LogFileEvents>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
    await Promise.allSettled([...this.compressing]);
    await Promise.allSettled([...this.removing]);
    this.emit('close');
  }

  /** Makes fd the current file, of a new generation. */
  private switchTo(fd: number, size: number): void {
    fs.closeSync(this.fd);
    this.fd = fd;
    this.size = size;
    this.gen++;
    this.counts.set(this.gen, 0);
    this.counts.delete(this.gen - KEEP_COUNTS);
  }

  /** Cuts the last `bytes` written off the end of the current file. */
  private takeBack(bytes: number): void {
    try {
      fs.ftruncateSync(this.fd, Math.max(0, fs.fstatSync(this.fd).size - bytes));
    } catch { /* left as it is: readers skip the torn entry and say so */ }
  }

  /** Takes p out of the chain now (a synchronous rename) and deletes it in the background. */
  private discard(p: string): void {
    const trash = `${this.path}${TRASH}${this.trashSeq++}`;
    try {
      fs.renameSync(p, trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const job = fs.promises.unlink(trash).catch(() => { /* already gone; a stale one goes at the next open */ });
    this.removing.add(job);
    void job.finally(() => this.removing.delete(job));
  }

  private startCompression(g: number, lastTime: string | undefined): void {
    const job = compressRotated(`${this.path}.1`, lastTime, (tmp) => {
      // Runs on completion: the generation may have moved down the chain meanwhile.
      const k = this.gen - g;
      if (k > this.opts.maxFiles - 1) { unlinkQuiet(tmp); return; }
      fs.renameSync(tmp, `${this.path}.${k}.gz`);
      this.discard(`${this.path}.${k}`);
    }).catch(() => { /* the plain file stays; readers read it as it is */ });
    this.compressing.add(job);
    void job.finally(() => this.compressing.delete(job));
  }

  private emit(ev: keyof LogFileEvents): void {
    for (const l of this.listeners) l[ev]?.();
  }
}

/** Opens the current file for appending, creating it, and its folder if that was removed from outside. */
function openCurrent(file: string, flags: number): number {
  const mode = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | flags;
  try {
    return fs.openSync(file, mode, 0o640);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o710 });
    return fs.openSync(file, mode, 0o640);
  }
}

function unlinkQuiet(p: string): void {
  try { fs.unlinkSync(p); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
}

/** Removes what a previous writer of this log left half-deleted (it stopped before its background removals ended). */
function removeStaleTrash(file: string): void {
  const dir = path.dirname(file);
  const prefix = path.basename(file) + TRASH;
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return; }
  for (const name of names) if (name.startsWith(prefix)) unlinkQuiet(path.join(dir, name));
}

/** The largest k of the `<file>.k` / `<file>.k.gz` siblings there are (0 when none). */
function highestRotated(file: string): number {
  const prefix = path.basename(file) + '.';
  let top = 0;
  for (const name of fs.readdirSync(path.dirname(file))) {
    const m = name.startsWith(prefix) ? /^(\d+)(\.gz)?$/.exec(name.slice(prefix.length)) : null;
    if (m) top = Math.max(top, Number(m[1]));
  }
  return top;
}

function renameQuiet(from: string, to: string): void {
  try { fs.renameSync(from, to); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
}
