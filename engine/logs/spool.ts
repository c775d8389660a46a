import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogMessage } from './message';
import { RECORD_HEADER, SEGMENT_MAGIC, checksumOk, decodePayload, encodeRecords, readHeader, validLength } from './spoolformat';

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

interface Position { seq: number; off: number; idx: number }

const SEG = /^(\d{16})\.seg$/;
const CURSOR = 'cursor';
const META = 'meta.json';

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
 */
export class Spool {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly warn: (text: string) => void;
  /** Sequence numbers of the segment files on disk, oldest first. */
  private readonly segs: number[] = [];
  private readonly sizes = new Map<number, number>();
  private fd: number | undefined; // the last segment, open for appending
  private read: Position;
  /** Where the batch handed out by next() ends; commit() moves the read position there. */
  private after: Position | undefined;
  private cache: { seq: number; off: number; next: number; msgs: LogMessage[] } | undefined;
  private readFd: { seq: number; fd: number } | undefined;
  private reader: object | undefined;
  private readonly released = new Set<() => void>();
  private total = 0;
  private refs = 0;
  private onLast: (() => void) | undefined;

  private constructor(o: SpoolOptions) {
    this.dir = o.dir;
    this.maxBytes = o.maxBytes;
    this.segmentBytes = o.segmentBytes ?? Math.min(4 << 20, Math.max(64 << 10, Math.floor(o.maxBytes / 4)));
    this.warn = o.warn ?? (() => {});
    this.read = { seq: 1, off: SEGMENT_MAGIC.length, idx: 0 };
  }

  /** Opens (or creates) the spool in dir, cutting a torn tail; synchronous, throws only when the folder is unusable. */
  static open(o: SpoolOptions): Spool {
    const s = new Spool(o);
    fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    s.load();
    if (o.meta !== undefined) fs.writeFileSync(path.join(o.dir, META), JSON.stringify(o.meta), { mode: 0o600 });
    return s;
  }

  /** Bytes of segment files on disk. */
  get bytes(): number { return this.total; }

  /** Nothing left to deliver (the batch in flight, if any, counts as not delivered yet). */
  get empty(): boolean {
    const last = this.segs[this.segs.length - 1];
    return last === undefined || (this.read.seq === last && this.read.off >= this.sizes.get(last)! && this.read.idx === 0);
  }

  /** Appends messages in order; false (nothing written) when they do not fit in maxBytes or the write fails. */
  append(msgs: readonly LogMessage[]): boolean {
    if (!msgs.length) return true;
    return this.appendRecords(encodeRecords(msgs));
  }

  /** Appends several arrays as one all-or-nothing write (a spill of the memory queue). */
  appendAll(arrays: readonly (readonly LogMessage[])[]): boolean {
    return this.appendRecords(arrays.flatMap((a) => encodeRecords(a)));
  }

  private appendRecords(recs: Buffer[]): boolean {
    const need = recs.reduce((n, r) => n + r.length, 0);
    if (this.total + need + SEGMENT_MAGIC.length > this.maxBytes) return false;
    const lastBefore = this.segs[this.segs.length - 1];
    const before = { segs: this.segs.length, total: this.total, lastSize: lastBefore === undefined ? 0 : this.sizes.get(lastBefore)! };
    try {
      for (const r of recs) {
        let last = this.segs[this.segs.length - 1];
        if (last === undefined || this.fd === undefined || this.sizes.get(last)! + r.length > this.segmentBytes && this.sizes.get(last)! > SEGMENT_MAGIC.length) {
          if (this.total + r.length + SEGMENT_MAGIC.length > this.maxBytes) throw new SpaceError();
          last = this.roll();
        }
        writeAll(this.fd!, r);
        this.sizes.set(last, this.sizes.get(last)! + r.length);
        this.total += r.length;
      }
      return true;
    } catch (e) {
      if (!(e instanceof SpaceError)) this.warn(`spool ${this.dir}: write failed: ${(e as Error).message}`);
      this.undo(before);
      return false;
    }
  }

  /** Puts the files back as they were before a failed append (all or nothing). */
  private undo(before: { segs: number; total: number; lastSize: number }): void {
    while (this.segs.length > before.segs) {
      const seq = this.segs.pop()!;
      this.total -= this.sizes.get(seq)!;
      this.sizes.delete(seq);
      this.closeWriter();
      try { fs.unlinkSync(this.file(seq)); } catch { /* never created */ }
    }
    const last = this.segs[this.segs.length - 1];
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
    const prev = this.segs[this.segs.length - 1];
    if (this.fd !== undefined) {
      fs.fsyncSync(this.fd);
      this.closeWriter();
    }
    const seq = (prev ?? this.read.seq - 1) + 1;
    const fd = fs.openSync(this.file(seq), 'wx', 0o600);
    try {
      writeAll(fd, SEGMENT_MAGIC);
    } catch (e) {
      fs.closeSync(fd);
      fs.unlinkSync(this.file(seq));
      throw e;
    }
    this.fd = fd;
    this.segs.push(seq);
    this.sizes.set(seq, SEGMENT_MAGIC.length);
    this.total += SEGMENT_MAGIC.length;
    return seq;
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
    while (this.segs.length && this.segs[0]! < this.read.seq) this.removeSeg(this.segs[0]!);
    if (this.empty && this.segs.length) {
      // Everything delivered: start over with no file at all.
      this.closeWriter();
      for (const seq of [...this.segs]) this.removeSeg(seq);
      this.read = { seq: this.read.seq + 1, off: SEGMENT_MAGIC.length, idx: 0 };
      try { fs.unlinkSync(path.join(this.dir, CURSOR)); } catch { /* none yet */ }
      return;
    }
    try {
      fs.writeFileSync(path.join(this.dir, CURSOR), `${this.read.seq} ${this.read.off} ${this.read.idx}\n`);
    } catch (e) {
      this.warn(`spool ${this.dir}: read position not saved (a restart resends from the last saved one): ${(e as Error).message}`);
    }
  }

  /** The record at pos (or the next one, moving past finished segments and corrupt tails); undefined at the end. */
  private recordAt(pos: Position): { seq: number; off: number; next: number; msgs: LogMessage[] } | undefined {
    let { seq, off } = pos;
    for (;;) {
      const i = this.segs.indexOf(seq);
      const nextSeq = i >= 0 ? this.segs[i + 1] : this.segs.find((s) => s > seq);
      if (i < 0) {
        if (nextSeq === undefined) return undefined;
        seq = nextSeq; off = SEGMENT_MAGIC.length; continue;
      }
      const size = this.sizes.get(seq)!;
      if (off >= size) {
        if (nextSeq === undefined) return undefined;
        seq = nextSeq; off = SEGMENT_MAGIC.length; continue;
      }
      if (this.cache && this.cache.seq === seq && this.cache.off === off) return this.cache;
      const got = this.readRecord(seq, off, size);
      if (got) return (this.cache = { seq, off, next: got.next, msgs: got.msgs });
      this.warn(`spool ${this.dir}: segment ${seq}: corrupt record at byte ${off}; skipped the ${size - off} bytes after it`);
      this.sizes.set(seq, off);
      // Never append behind a corrupt record: the next line starts a new segment.
      if (seq === this.segs[this.segs.length - 1]) this.closeWriter();
      if (nextSeq === undefined) return undefined;
      seq = nextSeq; off = SEGMENT_MAGIC.length;
    }
  }

  private readRecord(seq: number, off: number, size: number): { next: number; msgs: LogMessage[] } | undefined {
    try {
      if (this.readFd?.seq !== seq) {
        if (this.readFd) fs.closeSync(this.readFd.fd);
        this.readFd = undefined;
        this.readFd = { seq, fd: fs.openSync(this.file(seq), 'r') };
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

  /** Takes the reader's role if nobody holds it; true when `who` holds it now. */
  claim(who: object): boolean {
    this.reader ??= who;
    return this.reader === who;
  }

  /** Someone other than `who` reads the spool. */
  readByOther(who: object): boolean {
    return this.reader !== undefined && this.reader !== who;
  }

  /** Gives the reader's role up; whoever waits for it is told. A batch handed out but not committed is read again. */
  release(who: object): void {
    if (this.reader !== who) return;
    this.reader = undefined;
    this.after = undefined;
    for (const f of [...this.released]) f();
  }

  /** Calls f whenever the reader's role is given up; returns the unsubscribe function. */
  onRelease(f: () => void): () => void {
    this.released.add(f);
    return () => this.released.delete(f);
  }

  /** Flushes what was appended to the disk. */
  sync(): void {
    if (this.fd === undefined) return;
    try { fs.fsyncSync(this.fd); } catch (e) { this.warn(`spool ${this.dir}: fsync failed: ${(e as Error).message}`); }
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
    this.closeWriter();
    if (this.readFd) { try { fs.closeSync(this.readFd.fd); } catch { /* gone */ } this.readFd = undefined; }
    if (!this.segs.length) {
      try { fs.rmSync(path.join(this.dir, CURSOR), { force: true }); fs.rmSync(path.join(this.dir, META), { force: true }); fs.rmdirSync(this.dir); fs.rmdirSync(path.dirname(this.dir)); } catch { /* not empty: kept */ }
    }
  }

  private closeWriter(): void {
    if (this.fd === undefined) return;
    try { fs.closeSync(this.fd); } catch { /* already gone */ }
    this.fd = undefined;
  }

  private removeSeg(seq: number): void {
    if (this.readFd?.seq === seq) { try { fs.closeSync(this.readFd.fd); } catch { /* gone */ } this.readFd = undefined; }
    if (this.segs[this.segs.length - 1] === seq) this.closeWriter();
    try { fs.unlinkSync(this.file(seq)); } catch (e) { this.warn(`spool ${this.dir}: ${(e as Error).message}`); }
    this.total -= this.sizes.get(seq) ?? 0;
    this.sizes.delete(seq);
    this.segs.splice(this.segs.indexOf(seq), 1);
    if (this.cache?.seq === seq) this.cache = undefined;
  }

  private file(seq: number): string {
    return path.join(this.dir, `${String(seq).padStart(16, '0')}.seg`);
  }

  /** Reads what a previous agent left: segment list, read position, and the last segment checked record by record. */
  private load(): void {
    const found = fs.readdirSync(this.dir).map((n) => SEG.exec(n)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
    for (const seq of found) {
      this.segs.push(seq);
      const size = fs.statSync(this.file(seq)).size;
      this.sizes.set(seq, size);
      this.total += size;
    }
    const last = this.segs[this.segs.length - 1];
    if (last !== undefined) {
      // Only the last segment can hold a torn write: the others were fsynced when they were finished.
      const bytes = fs.readFileSync(this.file(last));
      const valid = Math.max(validLength(bytes), SEGMENT_MAGIC.length);
      if (valid < bytes.length) {
        this.warn(`spool ${this.dir}: segment ${last}: cut ${bytes.length - valid} bytes of a torn or corrupt tail after the last intact record`);
        if (validLength(bytes) === 0) fs.writeFileSync(this.file(last), SEGMENT_MAGIC);
        else fs.truncateSync(this.file(last), valid);
        this.total -= bytes.length - valid;
        this.sizes.set(last, valid);
      }
      this.fd = fs.openSync(this.file(last), 'a');
    }
    this.read = this.loadCursor();
    // Segments wholly before the saved position were delivered (a crash came before their deletion).
    while (this.segs.length && this.segs[0]! < this.read.seq) this.removeSeg(this.segs[0]!);
  }

  private loadCursor(): Position {
    const first = this.segs[0];
    const start = { seq: first ?? 1, off: SEGMENT_MAGIC.length, idx: 0 };
    let text: string;
    try { text = fs.readFileSync(path.join(this.dir, CURSOR), 'utf8'); } catch { return start; }
    const [seq, off, idx] = text.trim().split(' ').map(Number);
    if (first === undefined) return start;
    // Older than the first segment: that one was delivered and deleted after the position was saved.
    if (Number.isSafeInteger(seq) && seq! < first) return start;
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(off) || !Number.isSafeInteger(idx) || !this.sizes.has(seq!) || off! < SEGMENT_MAGIC.length || off! > this.sizes.get(seq!)!) {
      this.warn(`spool ${this.dir}: read position unreadable or stale ("${text.trim()}"): sending from the first segment`);
      return start;
    }
    return { seq: seq!, off: off!, idx: idx! };
  }
}

class SpaceError extends Error {}

function writeAll(fd: number, b: Buffer): void {
  let o = 0;
  while (o < b.length) o += fs.writeSync(fd, b, o, b.length - o);
}

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

/** What `meta` the spool in dir was opened with; undefined when there is none or it is unreadable. */
export function readSpoolMeta(dir: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, META), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether dir holds segment files (lines an earlier agent left); false when it does not exist. */
export function spoolHasData(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((n) => SEG.test(n));
  } catch {
    return false;
  }
}
