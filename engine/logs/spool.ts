import * as fs from 'node:fs';
import { LogMessage } from './message';
import { encodeRecords } from './spoolformat';
import { SpoolReader } from './spoolreader';
import { recover, removeEmptySpool, writeSpoolMeta } from './spoolrecover';
import { SegmentFiles } from './spoolsegments';

export interface SpoolOptions {
  dir: string;
  /** Bytes of segment files the spool may hold (what is sent is reclaimed a segment at a time). */
  maxBytes: number;
  /** Segment size; default a quarter of maxBytes, between 64 KiB and 4 MiB. */
  segmentBytes?: number;
  /** Problems found on disk (a torn tail cut, a corrupt record skipped); never thrown. */
  warn?: (text: string) => void;
  /** Whose lines these are (JSON, kept in `meta.json`), so an agent can send them when their owner is gone. */
  meta?: unknown;
}

/**
 * A disk queue of log messages in one folder: numbered segment files written in order, read in
 * order, each deleted once everything in it was delivered. A `cursor` file keeps the read position
 * inside the first segment, so a restart resends at most the batch that was in flight.
 * Writes are synchronous (a spool is the slow path, and order must hold across callers); segments
 * are fsynced when they are finished and when the spool is closed, not per write: a crash of the
 * agent loses nothing (the page cache has it), a power cut may tear the last segment, which the
 * next open cuts at the last intact record.
 * One reader at a time (claim/release): an outlet of a new run appends while the outlet of the
 * previous run still sends what is there.
 * The parts: SegmentFiles (spoolsegments.ts) writes, SpoolReader (spoolreader.ts) reads and
 * commits, recover (spoolrecover.ts) reads back what an earlier agent left; the bytes are spoolformat.ts's.
 */
export class Spool {
  readonly dir: string;
  private readonly files: SegmentFiles;
  private readonly reader: SpoolReader;
  /** Who holds the reader's role (an outlet). */
  private holder: object | undefined;
  private readonly released = new Set<() => void>();
  private refs = 0;
  private onLast: (() => void) | undefined;

  private constructor(o: SpoolOptions) {
    this.dir = o.dir;
    const warn = o.warn ?? (() => {});
    const segmentBytes = o.segmentBytes ?? Math.min(4 << 20, Math.max(64 << 10, Math.floor(o.maxBytes / 4)));
    this.files = new SegmentFiles(o.dir, o.maxBytes, segmentBytes, warn, () => this.reader.seq);
    const start = recover(this.files, warn);
    this.reader = new SpoolReader(this.files, start, warn);
    // Segments wholly before the saved position were delivered (a crash came before their deletion).
    this.reader.removeBefore(start.seq);
  }

  /** Opens (or creates) the spool in dir, cutting a torn tail; synchronous, throws only when the folder is unusable. */
  static open(o: SpoolOptions): Spool {
    fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const s = new Spool(o);
    if (o.meta !== undefined) writeSpoolMeta(o.dir, o.meta);
    return s;
  }

  /** Bytes of segment files on disk. */
  get bytes(): number { return this.files.bytes; }

  /** Nothing left to deliver (the batch in flight, if any, counts as not delivered yet). */
  get empty(): boolean { return this.reader.empty; }

  /** Appends messages in order; false (nothing written) when they do not fit in maxBytes or the write fails. */
  append(msgs: readonly LogMessage[]): boolean {
    if (!msgs.length) return true;
    return this.files.append(encodeRecords(msgs));
  }

  /**
   * Appends the longest run of msgs from the front that fits (all of them when they do), so a
   * pipe chunk larger than the room left (or than a small spool-max-size) goes in parts instead of
   * never; returns how many went. One message always fits an empty spool (spoolopts' minimum).
   */
  appendSome(msgs: readonly LogMessage[]): number {
    if (this.append(msgs)) return msgs.length;
    if (this.files.lastFailure !== 'full') return 0; // a failing disk (ENOSPC): smaller tries would fail too
    let lo = 0; // went in so far
    let hi = msgs.length; // does not fit (from lo)
    // Each try is all or nothing: a prefix that does not fit writes nothing.
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (this.append(msgs.slice(lo, mid))) lo = mid;
      else if (this.files.lastFailure === 'full') hi = mid;
      else break;
    }
    return lo;
  }

  /** Appends several arrays as one all-or-nothing write (a spill of the memory queue). */
  appendAll(arrays: readonly (readonly LogMessage[])[]): boolean {
    return this.files.append(arrays.flatMap((a) => encodeRecords(a)));
  }

  /**
   * The next batch from the read position (up to maxEvents messages / maxBytes line bytes; one
   * message at least). Until commit(), the same batch is handed out again. Empty when nothing is left.
   */
  next(maxEvents: number, maxBytes: number): readonly LogMessage[] {
    return this.reader.next(maxEvents, maxBytes);
  }

  /** The batch of the last next() was delivered (or counted as dropped): it is never read again. */
  commit(): void {
    this.reader.commit();
  }

  /** Takes the reader's role if nobody holds it; true when `who` holds it now. */
  claim(who: object): boolean {
    this.holder ??= who;
    return this.holder === who;
  }

  /** Someone other than `who` reads the spool. */
  readByOther(who: object): boolean {
    return this.holder !== undefined && this.holder !== who;
  }

  /** Gives the reader's role up; whoever waits for it is told. A batch handed out but not committed is read again. */
  release(who: object): void {
    if (this.holder !== who) return;
    this.holder = undefined;
    this.reader.forgetBatch();
    for (const f of [...this.released]) f();
  }

  /** Calls f whenever the reader's role is given up; returns the unsubscribe function. */
  onRelease(f: () => void): () => void {
    this.released.add(f);
    return () => this.released.delete(f);
  }

  /** Flushes what was appended to the disk. */
  sync(): void {
    this.files.sync();
  }

  /** One more user (SpoolSet shares a spool between the outlets of consecutive runs). */
  ref(onLast?: () => void): this {
    this.refs++;
    if (onLast) this.onLast = onLast;
    return this;
  }

  /** One user less; the last one closes the files. */
  unref(): void {
    if (--this.refs > 0) return;
    this.close();
    this.onLast?.();
  }

  /** Syncs and closes the files; the spool stays on disk for the next open (an empty one leaves no folder). */
  close(): void {
    this.sync();
    this.files.closeWriter();
    this.reader.close();
    if (!this.files.count) removeEmptySpool(this.dir);
  }
}
