import { LogMessage, endsLine } from '../../engine/logs/message';
import { formatRFC3339Nano } from '../../engine/logs/timefmt';
import { escapeString, maxEscapedLength, writeEscaped } from './escape';
import { specialPositions } from './plain';

const PREFIX = Buffer.from('{"log":"', 'latin1');
const PREFIX_TEXT = '{"log":"';

/**
 * Encodes messages as Docker's json-file entries, byte for byte:
 * {"log":"...\n","stream":"stdout","attrs":{...},"time":"..."}\n
 * The tail of an entry only depends on stream, time and completeness, and the framer
 * gives one time to a whole pipe chunk, so that tail is built once per chunk and reused.
 */
export class JsonEntryEncoder {
  private readonly attrsPart: string;
  private cacheKey = '';
  private cacheTime = -1n;
  private cacheSuffix: Buffer = Buffer.alloc(0);
  /** The same suffix as a latin1 string (byte for byte), for the whole-run fast path. */
  private cacheSuffixText = '';

  constructor(attrs: Readonly<Record<string, string>> | undefined) {
    this.attrsPart = attrsJson(attrs);
  }

  /** Upper bound of the bytes encode() may write for m. */
  maxLength(m: LogMessage): number {
    return PREFIX.length + maxEscapedLength(m.end - m.start) + 120 + this.attrsPart.length;
  }

  /** Writes m's entry into out at pos; returns the position after it. */
  encode(m: LogMessage, out: Buffer, pos: number): number {
    out.set(PREFIX, pos);
    pos = writeEscaped(m.src, m.start, m.end, out, pos + PREFIX.length);
    const suffix = this.suffix(m);
    out.set(suffix, pos);
    return pos + suffix.length;
  }

  /**
   * Encodes a batch into out (which must have room for the sum of maxLength) and records
   * where each entry ends in ends[i], so the caller can cut the bytes at any entry for rotation.
   * Lines that sit back to back in one pipe chunk with one time and stream, and need no
   * escaping, are turned into entries with one native replace instead of a loop per byte.
   */
  encodeBatch(batch: readonly LogMessage[], out: Buffer, ends: Int32Array): number {
    let pos = 0;
    let i = 0;
    while (i < batch.length) {
      const first = batch[i]!;
      let j = i + 1;
      if (first.partial === undefined) {
        while (j < batch.length && sameRun(batch[j - 1]!, batch[j]!)) j++;
      }
      pos = j - i > 1 ? this.encodeRun(batch, i, j, out, pos, ends) : this.encodeAt(batch, i, out, pos, ends);
      i = j;
    }
    return pos;
  }

  /** batch[i, j): contiguous complete lines of one chunk. Plain stretches go the fast way. */
  private encodeRun(batch: readonly LogMessage[], i: number, j: number, out: Buffer, pos: number, ends: Int32Array): number {
    const src = batch[i]!.src;
    const special = specialPositions(src, batch[i]!.start, batch[j - 1]!.end);
    if (special === null) {
      for (let k = i; k < j; k++) pos = this.encodeAt(batch, k, out, pos, ends);
      return pos;
    }
    let next = 0; // index into special of the first position not yet behind us
    let k = i;
    while (k < j) {
      while (next < special.length && special[next]! < batch[k]!.start) next++;
      if (next < special.length && special[next]! < batch[k]!.end) {
        pos = this.encodeAt(batch, k++, out, pos, ends);
        continue;
      }
      // Extend a plain stretch [k, e) up to the next line holding a special byte.
      const limit = next < special.length ? special[next]! : Infinity;
      let e = k + 1;
      while (e < j && batch[e]!.end <= limit) e++;
      pos = this.encodePlain(batch, k, e, out, pos, ends);
      k = e;
    }
    return pos;
  }

  /** Lines batch[k, e) need no escaping: one string, newlines replaced by "suffix + prefix". */
  private encodePlain(batch: readonly LogMessage[], k: number, e: number, out: Buffer, pos: number, ends: Int32Array): number {
    const first = batch[k]!;
    this.suffix(first);
    const sfx = this.cacheSuffixText;
    const body = first.src.toString('latin1', first.start, batch[e - 1]!.end);
    const text = e - k > 1 ? body.replaceAll('\n', sfx + PREFIX_TEXT) : body;
    const start = pos;
    pos += out.write(PREFIX_TEXT, pos, 'latin1');
    pos += out.write(text, pos, 'latin1');
    pos += out.write(sfx, pos, 'latin1');
    let end = start;
    const overhead = PREFIX_TEXT.length + sfx.length;
    for (let m = k; m < e; m++) ends[m] = end += batch[m]!.end - batch[m]!.start + overhead;
    return pos;
  }

  private encodeAt(batch: readonly LogMessage[], k: number, out: Buffer, pos: number, ends: Int32Array): number {
    pos = this.encode(batch[k]!, out, pos);
    ends[k] = pos;
    return pos;
  }

  /** Encodes one message into a fresh buffer (tests, small paths). */
  encodeOne(m: LogMessage): Buffer {
    const out = Buffer.allocUnsafe(this.maxLength(m));
    return out.subarray(0, this.encode(m, out, 0));
  }

  private suffix(m: LogMessage): Buffer {
    const complete = endsLine(m);
    const key = complete ? m.stream : `${m.stream}-`;
    if (m.time !== this.cacheTime || key !== this.cacheKey) {
      this.cacheTime = m.time;
      this.cacheKey = key;
      this.cacheSuffix = Buffer.from(
        `${complete ? '\\n' : ''}","stream":"${m.stream}",${this.attrsPart}"time":"${formatRFC3339Nano(m.time)}"}\n`,
        'utf8',
      );
      this.cacheSuffixText = this.cacheSuffix.toString('latin1');
    }
    return this.cacheSuffix;
  }
}

/** b follows a directly in the same chunk, with the same time and stream, and is a whole line. */
function sameRun(a: LogMessage, b: LogMessage): boolean {
  return b.src === a.src && b.start === a.end + 1 && b.time === a.time && b.stream === a.stream && b.partial === undefined;
}

/** `"attrs":{...},` with keys sorted as Go's json.Marshal of a map, or '' when there are none. */
function attrsJson(attrs: Readonly<Record<string, string>> | undefined): string {
  if (!attrs) return '';
  const keys = Object.keys(attrs).sort();
  if (!keys.length) return '';
  const body = keys.map((k) => `"${escapeString(k)}":"${escapeString(attrs[k]!)}"`).join(',');
  return `"attrs":{${body}},`;
}
