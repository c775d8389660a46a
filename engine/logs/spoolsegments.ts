import * as fs from 'node:fs';
import * as path from 'node:path';
import { SEGMENT_MAGIC } from './spoolformat';

/**
 * The segment files of one spool folder, oldest first, with their sizes, and the writer: the last
 * segment open for appending. Appends are all or nothing; a segment is fsynced when it is finished
 * (it is never written again), so only the last one can hold a torn write after a power cut.
 */
export class SegmentFiles {
  /** Sequence numbers of the segment files on disk, oldest first. */
  private readonly seqs: number[] = [];
  private readonly sizes = new Map<number, number>();
  private fd: number | undefined; // the last segment, open for appending
  private total = 0;
  /** Appends that failed on a write error (a full disk) since the last one that went through: one episode, one warning. */
  private failedWrites = 0;
  /** Why the last append that failed did: it did not fit in maxBytes (`full`), or a write failed (`error`). */
  lastFailure: 'full' | 'error' | undefined;

  /**
   * `startSeq`: the number a first segment gets when there is none (one past the read position's,
   * so a new segment never takes the number of one already read).
   */
  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    private readonly warn: (text: string) => void,
    private readonly startSeq: () => number,
  ) {}

  /** Bytes of segment files on disk. */
  get bytes(): number { return this.total; }
  get count(): number { return this.seqs.length; }
  get first(): number | undefined { return this.seqs[0]; }
  get last(): number | undefined { return this.seqs[this.seqs.length - 1]; }
  /** Every segment, oldest first (a copy). */
  get all(): number[] { return [...this.seqs]; }
  has(seq: number): boolean { return this.sizes.has(seq); }
  /** The bytes of seq that count (its intact records); undefined when it is not there. */
  sizeOf(seq: number): number | undefined { return this.sizes.get(seq); }
  /** The first segment after seq (seq need not exist). */
  after(seq: number): number | undefined { return this.seqs.find((s) => s > seq); }

  file(seq: number): string {
    return path.join(this.dir, `${String(seq).padStart(16, '0')}.seg`);
  }

  /** A segment found on disk when the spool is opened (in order). */
  addFound(seq: number, size: number): void {
    this.seqs.push(seq);
    this.sizes.set(seq, size);
    this.total += size;
  }

  /** The last segment was cut to `size` bytes on disk (a torn tail); appends go after it. */
  cutLast(size: number): void {
    const last = this.last!;
    this.total -= this.sizes.get(last)! - size;
    this.sizes.set(last, size);
  }

  /** Opens the last segment found for appending. */
  openLast(): void {
    const last = this.last;
    if (last !== undefined) this.fd = fs.openSync(this.file(last), 'a');
  }

  /**
   * A corrupt record at `off` in seq: only what comes before it counts. The bytes stay on disk
   * (and in `bytes`) until the segment is deleted; nothing is ever appended behind them.
   */
  endAt(seq: number, off: number): void {
    this.sizes.set(seq, off);
    if (seq === this.last) this.closeWriter();
  }

  /** Appends encoded records in order, all or nothing; false when they do not fit in maxBytes or a write fails. */
  append(recs: Buffer[]): boolean {
    const need = recs.reduce((n, r) => n + r.length, 0);
    if (this.total + need + SEGMENT_MAGIC.length > this.maxBytes) { this.lastFailure = 'full'; return false; }
    const lastBefore = this.last;
    const before = { segs: this.seqs.length, total: this.total, lastSize: lastBefore === undefined ? 0 : this.sizes.get(lastBefore)! };
    try {
      for (const r of recs) {
        let last = this.last;
        if (last === undefined || this.fd === undefined || this.sizes.get(last)! + r.length > this.segmentBytes && this.sizes.get(last)! > SEGMENT_MAGIC.length) {
          if (this.total + r.length + SEGMENT_MAGIC.length > this.maxBytes) throw new SpaceError();
          last = this.roll();
        }
        writeAll(this.fd!, r);
        this.sizes.set(last, this.sizes.get(last)! + r.length);
        this.total += r.length;
      }
      if (this.failedWrites) {
        this.warn(`spool ${this.dir}: writing again, after ${this.failedWrites} failed append${this.failedWrites === 1 ? '' : 's'}`);
        this.failedWrites = 0;
      }
      return true;
    } catch (e) {
      // A full disk fails every append until space comes back (each retry, each chunk read): say it once.
      this.lastFailure = e instanceof SpaceError ? 'full' : 'error';
      if (!(e instanceof SpaceError) && this.failedWrites++ === 0) {
        this.warn(`spool ${this.dir}: write failed: ${(e as Error).message} (not repeated until a write succeeds)`);
      }
      this.undo(before);
      return false;
    }
  }

  /** Puts the files back as they were before a failed append (all or nothing). */
  private undo(before: { segs: number; total: number; lastSize: number }): void {
    while (this.seqs.length > before.segs) {
      const seq = this.seqs.pop()!;
      this.total -= this.sizes.get(seq)!;
      this.sizes.delete(seq);
      this.closeWriter();
      try { fs.unlinkSync(this.file(seq)); } catch { /* never created */ }
    }
    const last = this.last;
    if (last === undefined) return;
    if (this.total !== before.total) {
      // A write cut short: the next open would cut it by checksum anyway, but appends go after it now.
      try { fs.truncateSync(this.file(last), before.lastSize); } catch { /* the next open cuts it by checksum */ }
      this.sizes.set(last, before.lastSize);
      this.total = before.total;
    }
    if (this.fd === undefined) {
      try { this.fd = fs.openSync(this.file(last), 'a'); } catch { /* the next append rolls to a new segment */ }
    }
  }

  /** Finishes the current segment (fsync: from here on it is never written again) and starts the next. */
  private roll(): number {
    const prev = this.last;
    if (this.fd !== undefined) {
      fs.fsyncSync(this.fd);
      this.closeWriter();
    }
    const seq = (prev ?? this.startSeq() - 1) + 1;
    const fd = fs.openSync(this.file(seq), 'wx', 0o600);
    try {
      writeAll(fd, SEGMENT_MAGIC);
    } catch (e) {
      fs.closeSync(fd);
      fs.unlinkSync(this.file(seq));
      throw e;
    }
    this.fd = fd;
    this.seqs.push(seq);
    this.sizes.set(seq, SEGMENT_MAGIC.length);
    this.total += SEGMENT_MAGIC.length;
    return seq;
  }

  /** Deletes a segment (everything in it was delivered): that is how space comes back. */
  remove(seq: number): void {
    if (this.last === seq) this.closeWriter();
    try { fs.unlinkSync(this.file(seq)); } catch (e) { this.warn(`spool ${this.dir}: ${(e as Error).message}`); }
    this.total -= this.sizes.get(seq) ?? 0;
    this.sizes.delete(seq);
    this.seqs.splice(this.seqs.indexOf(seq), 1);
  }

  /** Flushes what was appended to the disk. */
  sync(): void {
    if (this.fd === undefined) return;
    try { fs.fsyncSync(this.fd); } catch (e) { this.warn(`spool ${this.dir}: fsync failed: ${(e as Error).message}`); }
  }

  closeWriter(): void {
    if (this.fd === undefined) return;
    try { fs.closeSync(this.fd); } catch { /* already gone */ }
    this.fd = undefined;
  }
}

class SpaceError extends Error {}

function writeAll(fd: number, b: Buffer): void {
  let o = 0;
  while (o < b.length) o += fs.writeSync(fd, b, o, b.length - o);
}
