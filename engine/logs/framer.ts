import { randomBytes } from 'node:crypto';
import { native } from '../native';
import { StreamClock } from './clock';
import { LogMessage, PartialMeta, Stream, messageIn } from './message';

/** Docker's copier buffer: a line at least this long is cut into partial messages. */
export const MAX_LINE = 16 * 1024;

interface OpenPartial { id: string; ordinal: number; time: bigint }

/**
 * A whole line as the framer makes millions of them: only the fields that vary, so each
 * costs the garbage collector less. partial and attrs are always undefined; `line` makes
 * a fresh view of src[start, end) on each use (the bytes are the same; hot paths use src).
 */
class FramedLine implements LogMessage {
  constructor(
    readonly stream: Stream,
    readonly time: bigint,
    readonly src: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

  get line(): Buffer { return this.src.subarray(this.start, this.end); }
  get partial(): PartialMeta | undefined { return undefined; }
  get attrs(): Readonly<Record<string, string>> | undefined { return undefined; }
}

/** Newline offsets of the chunk being framed (filled by the native addon in one call; reused). */
const NL = new Int32Array(8192);

/**
 * Cuts one output stream into lines. A whole pipe chunk is handled at once with one
 * timestamp (the time of the read), so the cost per line is finding its newline and one small object.
 * Lines are zero-copy views of the chunk: the caller hands over chunks it never reuses.
 * A line of MAX_LINE bytes or more becomes partial messages that share an id and the
 * first chunk's time, as Docker's copier does.
 */
export class LineFramer {
  private pending: Buffer | null = null;
  private open: OpenPartial | null = null;

  constructor(readonly stream: Stream, private readonly clock: StreamClock, private readonly maxLine = MAX_LINE) {}

  push(chunk: Buffer): LogMessage[] {
    const out: LogMessage[] = [];
    const time = this.clock.next();
    let buf = chunk;
    if (this.pending) {
      // Only the start of the chunk can finish the pending line: join just that much.
      const nl = chunk.indexOf(10);
      const need = this.maxLine - this.pending.length;
      const take = nl >= 0 && nl <= need ? nl + 1 : Math.min(chunk.length, need);
      buf = Buffer.concat([this.pending, chunk.subarray(0, take)]);
      this.pending = null;
      this.frame(buf, time, out, take === chunk.length);
      if (take === chunk.length) return out;
      buf = chunk.subarray(take);
    }
    this.frame(buf, time, out, true);
    return out;
  }

  /** The stream ended: whatever is left becomes a final partial (no newline ever came). */
  end(): LogMessage[] {
    if (!this.pending) return [];
    const rest = this.pending;
    this.pending = null;
    const out = [this.chunkOf(rest, 0, rest.length, this.clock.next(), false)];
    this.open = null;
    return out;
  }

  /** Frames buf; bytes after the last newline are kept as pending when keepRest. */
  private frame(buf: Buffer, time: bigint, out: LogMessage[], keepRest: boolean): void {
    const len = buf.length;
    let pos = 0;
    // The newlines come from one native scan per 8192 of them when the addon is there,
    // else from one indexOf per line; the framing is the same.
    let count = 0;
    let k = 0;
    let scanned = native ? 0 : len;
    while (pos < len) {
      let nl: number;
      if (k < count) nl = NL[k]!;
      else if (scanned < len) {
        count = native!.newlines(buf, scanned, len, NL);
        k = 0;
        scanned = count === NL.length ? NL[count - 1]! + 1 : len;
        continue;
      } else nl = native ? -1 : buf.indexOf(10, pos);
      const end = nl < 0 ? len : nl;
      if (end - pos >= this.maxLine) {
        out.push(this.chunkOf(buf, pos, pos + this.maxLine, time, false));
        pos += this.maxLine;
        continue;
      }
      if (nl < 0) {
        if (keepRest) this.pending = Buffer.from(buf.subarray(pos));
        else out.push(this.chunkOf(buf, pos, len, time, false));
        return;
      }
      if (this.open) {
        out.push(this.chunkOf(buf, pos, nl, time, true));
        this.open = null;
      } else {
        out.push(new FramedLine(this.stream, time, buf, pos, nl));
      }
      pos = nl + 1;
      k++;
    }
  }

  private chunkOf(src: Buffer, start: number, end: number, time: bigint, last: boolean): LogMessage {
    if (!this.open) this.open = { id: randomBytes(32).toString('hex'), ordinal: 0, time };
    const p = this.open;
    p.ordinal++;
    return messageIn(this.stream, p.time, src, start, end, { id: p.id, ordinal: p.ordinal, last });
  }
}
