import * as fs from 'node:fs';
import { LogMessage } from './message';
import { RECORD_HEADER, SEGMENT_MAGIC, checksumOk, decodePayload, readHeader } from './spoolformat';
import { SegmentFiles } from './spoolsegments';
import { Position, removeCursor, saveCursor } from './spoolrecover';

interface Record { seq: number; off: number; next: number; msgs: LogMessage[] }

/**
 * The read side of a spool: the read position (segment, byte offset of a record, index of a
 * message in it), batches handed out from there, and commit, which moves the position past a
 * batch, deletes the segments left behind and saves the position in the `cursor` file.
 */
export class SpoolReader {
  private read: Position;
  /** Where the batch handed out by next() ends; commit() moves the read position there. */
  private after: Position | undefined;
  private cache: Record | undefined;
  private readFd: { seq: number; fd: number } | undefined;

  constructor(private readonly files: SegmentFiles, start: Position, private readonly warn: (text: string) => void) {
    this.read = start;
  }

  /** The read position's segment (a first segment is numbered after it). */
  get seq(): number { return this.read.seq; }

  /** Nothing left to deliver (the batch in flight, if any, counts as not delivered yet). */
  get empty(): boolean {
    const last = this.files.last;
    return last === undefined || (this.read.seq === last && this.read.off >= this.files.sizeOf(last)! && this.read.idx === 0);
  }

  /**
   * The next batch from the read position (up to maxEvents messages / maxBytes line bytes; one
   * message at least). Until commit(), the same batch is handed out again. Empty when nothing is left.
   */
  next(maxEvents: number, maxBytes: number): readonly LogMessage[] {
    const out: LogMessage[] = [];
    let size = 0;
    let pos = { ...this.read };
    while (out.length < maxEvents) {
      const rec = this.recordAt(pos);
      if (!rec) break;
      pos = { seq: rec.seq, off: rec.off, idx: pos.seq === rec.seq && pos.off === rec.off ? pos.idx : 0 };
      const m = rec.msgs[pos.idx];
      if (!m) { pos = { seq: rec.seq, off: rec.next, idx: 0 }; continue; }
      const len = m.end - m.start;
      if (out.length && size + len > maxBytes) break;
      out.push(m);
      size += len;
      pos = pos.idx + 1 < rec.msgs.length ? { ...pos, idx: pos.idx + 1 } : { seq: rec.seq, off: rec.next, idx: 0 };
    }
    this.after = pos;
    return out;
  }

  /** The batch of the last next() was delivered (or counted as dropped): it is never read again. */
  commit(): void {
    if (!this.after) return;
    this.read = this.after;
    this.after = undefined;
    // Segments before the read position are done: delete them (that is how space comes back).
    this.removeBefore(this.read.seq);
    if (this.empty && this.files.count) {
      // Everything delivered: start over with no file at all.
      this.files.closeWriter();
      for (const seq of this.files.all) this.remove(seq);
      this.read = { seq: this.read.seq + 1, off: SEGMENT_MAGIC.length, idx: 0 };
      removeCursor(this.files.dir);
      return;
    }
    try {
      saveCursor(this.files.dir, this.read);
    } catch (e) {
      this.warn(`spool ${this.files.dir}: read position not saved (a restart resends from the last saved one): ${(e as Error).message}`);
    }
  }

  /** A batch handed out but not committed is read again (its reader gave the role up). */
  forgetBatch(): void {
    this.after = undefined;
  }

  /** Deletes the segments wholly before seq (delivered). */
  removeBefore(seq: number): void {
    while (this.files.count && this.files.first! < seq) this.remove(this.files.first!);
  }

  close(): void {
    if (this.readFd) { try { fs.closeSync(this.readFd.fd); } catch { /* gone */ } this.readFd = undefined; }
  }

  private remove(seq: number): void {
    if (this.readFd?.seq === seq) this.close();
    this.files.remove(seq);
    if (this.cache?.seq === seq) this.cache = undefined;
  }

  /** The record at pos (or the next one, moving past finished segments and corrupt tails); undefined at the end. */
  private recordAt(pos: Position): Record | undefined {
    let { seq, off } = pos;
    for (;;) {
      const nextSeq = this.files.after(seq);
      const size = this.files.sizeOf(seq);
      if (size === undefined || off >= size) {
        if (nextSeq === undefined) return undefined;
        seq = nextSeq; off = SEGMENT_MAGIC.length; continue;
      }
      if (this.cache && this.cache.seq === seq && this.cache.off === off) return this.cache;
      const got = this.readRecord(seq, off, size);
      if (got) return (this.cache = { seq, off, next: got.next, msgs: got.msgs });
      this.warn(`spool ${this.files.dir}: segment ${seq}: corrupt record at byte ${off}; skipped the ${size - off} bytes after it`);
      // Never append behind a corrupt record: the next line starts a new segment.
      this.files.endAt(seq, off);
      if (nextSeq === undefined) return undefined;
      seq = nextSeq; off = SEGMENT_MAGIC.length;
    }
  }

  private readRecord(seq: number, off: number, size: number): { next: number; msgs: LogMessage[] } | undefined {
    try {
      if (this.readFd?.seq !== seq) {
        this.close();
        this.readFd = { seq, fd: fs.openSync(this.files.file(seq), 'r') };
      }
      const head = Buffer.alloc(RECORD_HEADER);
      if (off + RECORD_HEADER > size || fs.readSync(this.readFd.fd, head, 0, RECORD_HEADER, off) !== RECORD_HEADER) return undefined;
      const { length, crc } = readHeader(head);
      if (off + RECORD_HEADER + length > size) return undefined;
      const payload = Buffer.alloc(length);
      if (fs.readSync(this.readFd.fd, payload, 0, length, off + RECORD_HEADER) !== length || !checksumOk(payload, crc)) return undefined;
      return { next: off + RECORD_HEADER + length, msgs: decodePayload(payload) };
    } catch {
      return undefined;
    }
  }
}
