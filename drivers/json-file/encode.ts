import { LogMessage, endsLine } from '../../engine/logs/message';
import { NativeBinding, native as nativeBinding } from '../../engine/native';
import { formatRFC3339Nano } from '../../engine/logs/timefmt';
import { escapeGoJson, maxEscapedLength, writeEscaped } from './escape';
import { specialPositions } from './plain';

const PREFIX = Buffer.from('{"log":"', 'latin1');
const PREFIX_TEXT = '{"log":"';
/** The fixed parts of an entry besides attrs: prefix, `\n`, stream, keys, a 30-byte time, `"}\n`. */
const OVERHEAD = PREFIX.length + 120;

export interface EncoderOptions {
  /** The native addon to escape with; null forces the TypeScript path. Default: the addon when it is built. */
  native?: NativeBinding | null;
}

/**
 * Encodes messages as Docker's json-file entries, byte for byte:
 * {"log":"...\n","stream":"stdout","attrs":{...},"time":"..."}\n
 * The tail of an entry only depends on stream, time and completeness, and the framer
 * gives one time to a whole pipe chunk, so that tail is built once per chunk and reused.
 * With the native addon a run of lines is encoded in one call; without it, an ASCII run is
 * one latin1 string worked on by native string operations, and the rest a loop per byte.
 */
export class JsonEntryEncoder {
  private readonly attrsPart: string;
  /** UTF-8 bytes of attrsPart (label values may be any text). */
  private readonly attrsBytes: number;
  private readonly native: NativeBinding | null;
  private cacheKey = '';
  private cacheTime = -1n;
  private cacheSuffix: Buffer = Buffer.alloc(0);
  /** The same suffix as a latin1 string (byte for byte), for the whole-run fast path. */
  private cacheSuffixText = '';
  private readonly times = new TimeText();

  constructor(attrs: Readonly<Record<string, string>> | undefined, opts: EncoderOptions = {}) {
    this.attrsPart = attrsJson(attrs);
    this.attrsBytes = Buffer.byteLength(this.attrsPart, 'utf8');
    this.native = opts.native === undefined ? nativeBinding : opts.native;
  }

  /** True when the native addon does the escaping. */
  get isNative(): boolean { return this.native !== null; }

  /** Upper bound of the bytes encode() may write for m. */
  maxLength(m: LogMessage): number {
    return maxEscapedLength(m.end - m.start) + OVERHEAD + this.attrsBytes;
  }

  /** Upper bound of the bytes encodeBatch() may write for batch (the sum of maxLength). */
  maxBatchLength(batch: readonly LogMessage[]): number {
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) bytes += batch[i]!.end - batch[i]!.start;
    return maxEscapedLength(bytes) + batch.length * (OVERHEAD + this.attrsBytes);
  }

  /** The RFC3339Nano text of a time (cached: a batch's entries mostly share one). */
  timeText(ns: bigint): string {
    return this.times.format(ns);
  }

  /** Writes m's entry into out at pos; returns the position after it. */
  encode(m: LogMessage, out: Buffer, pos: number): number {
    out.set(PREFIX, pos);
    pos += PREFIX.length;
    if (this.native) {
      pos = this.native.escape(m.src, m.start, m.end, out, pos);
      if (pos < 0) throw new RangeError('JsonEntryEncoder.encode: output buffer too small');
    } else {
      pos = writeEscaped(m.src, m.start, m.end, out, pos);
    }
    const suffix = this.suffix(m);
    out.set(suffix, pos);
    return pos + suffix.length;
  }

  /**
   * Encodes a batch into out (which must have room for the sum of maxLength) and records
   * where each entry ends in ends[i], so the caller can cut the bytes at any entry for rotation.
   * Lines that sit back to back in one pipe chunk with one time and stream are encoded as
   * a run: one native call, or (without the addon) one string replace for the plain ones.
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
      if (this.native) pos = this.encodeNative(batch, i, j, out, pos, ends);
      else pos = j - i > 1 ? this.encodeRun(batch, i, j, out, pos, ends) : this.encodeAt(batch, i, out, pos, ends);
      i = j;
    }
    return pos;
  }

  /** batch[i, j): one message, or a run of complete lines; one native call for all of them. */
  private encodeNative(batch: readonly LogMessage[], i: number, j: number, out: Buffer, pos: number, ends: Int32Array): number {
    const first = batch[i]!;
    const n = this.native!.encodeLines(first.src, first.start, batch[j - 1]!.end, out, pos, PREFIX, this.suffix(first), ends, i);
    if (n === j - i) return ends[j - 1]!;
    // A message holding a '\n' of its own (not from the framer), or no room: one by one.
    for (let k = i; k < j; k++) pos = this.encodeAt(batch, k, out, pos, ends);
    return pos;
  }

  /**
   * batch[i, j): contiguous complete lines of one chunk, without the addon. When the run is
   * ASCII, the whole run is one latin1 string: its special bytes are escaped by one regex
   * replace and its newlines turned into "suffix + prefix" by one replaceAll (native string
   * work instead of a loop per byte). Otherwise, one message at a time.
   */
  private encodeRun(batch: readonly LogMessage[], i: number, j: number, out: Buffer, pos: number, ends: Int32Array): number {
    const first = batch[i]!;
    const src = first.src;
    const a = first.start;
    const b = batch[j - 1]!.end;
    const special = specialPositions(src, a, b);
    if (special !== null) {
      this.suffix(first);
      const sfx = this.cacheSuffixText;
      const overhead = PREFIX_TEXT.length + sfx.length;
      let body = src.toString('latin1', a, b);
      let extra = 0;
      if (special.length) {
        // Cut around the special bytes (slices share the string's memory) and join once.
        const parts: string[] = [];
        let last = 0;
        for (const p of special) {
          const byte = src[p]!;
          parts.push(body.slice(last, p - a), ESCAPE_TEXT[byte]!);
          extra += ESCAPE_EXTRA[byte]!;
          last = p - a + 1;
        }
        parts.push(body.slice(last));
        body = parts.join('');
      }
      const text = PREFIX_TEXT + body.replaceAll('\n', sfx + PREFIX_TEXT) + sfx;
      // Each newline of the run must be a separator: a message holding one of its own goes one by one.
      if (text.length === b - a - (j - i - 1) + extra + (j - i) * overhead) {
        let end = pos;
        let s = 0;
        for (let m = i; m < j; m++) {
          const e = batch[m]!.end;
          let more = 0;
          while (s < special.length && special[s]! < e) more += ESCAPE_EXTRA[src[special[s++]!]!]!;
          ends[m] = end += e - batch[m]!.start + more + overhead;
        }
        return pos + out.write(text, pos, 'latin1');
      }
    }
    for (let k = i; k < j; k++) pos = this.encodeAt(batch, k, out, pos, ends);
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
        `${complete ? '\\n' : ''}","stream":"${m.stream}",${this.attrsPart}"time":"${this.times.format(m.time)}"}\n`,
        'utf8',
      );
      if (!this.native) this.cacheSuffixText = this.cacheSuffix.toString('latin1');
    }
    return this.cacheSuffix;
  }
}

/** How the log field writes each ASCII byte that needs escaping (the others are never looked up). */
const ESCAPE_TEXT: string[] = [];
for (let b = 0; b < 0x80; b++) {
  const hex = '0123456789abcdef';
  ESCAPE_TEXT[b] = b === 0x22 ? '\\"' : b === 0x5c ? '\\\\' : b === 0x0d ? '\\r' : b === 0x0a ? '\\n' : `\\u00${hex[b >> 4]}${hex[b & 15]}`;
}
/** Bytes an escape adds to an ASCII byte: `\"` `\\` `\r` one, `\u00XX` five. */
const ESCAPE_EXTRA = new Uint8Array(128);
for (let b = 0; b < 0x20; b++) ESCAPE_EXTRA[b] = 5;
for (const b of [0x3c, 0x3e, 0x26]) ESCAPE_EXTRA[b] = 5;
for (const b of [0x22, 0x5c, 0x0d]) ESCAPE_EXTRA[b] = 1;

/** b follows a directly in the same chunk, after a.end's newline, with the same time and stream, and is a whole line. */
function sameRun(a: LogMessage, b: LogMessage): boolean {
  return b.src === a.src && b.start === a.end + 1 && b.time === a.time && b.stream === a.stream
    && b.partial === undefined && a.src[a.end] === 10;
}

/**
 * formatRFC3339Nano with the date-and-seconds head cached: one pipe chunk after another
 * mostly falls in the same second, so only the fraction is formatted.
 */
class TimeText {
  private sec = -1n;
  private head = '';
  private lastNs: bigint | undefined; // not -1n: that is a time too (1969-12-31T23:59:59.999999999Z)
  private last = '';

  format(ns: bigint): string {
    if (ns === this.lastNs) return this.last;
    let text: string;
    if (ns < 0n) {
      text = formatRFC3339Nano(ns);
    } else {
      const sec = ns / 1_000_000_000n;
      if (sec !== this.sec) {
        this.sec = sec;
        this.head = formatRFC3339Nano(sec * 1_000_000_000n).slice(0, -1); // without the 'Z'
      }
      const frac = Number(ns - sec * 1_000_000_000n);
      text = frac === 0 ? `${this.head}Z` : `${this.head}.${String(frac).padStart(9, '0').replace(/0+$/, '')}Z`;
    }
    this.lastNs = ns;
    this.last = text;
    return text;
  }
}

/**
 * `"attrs":{...},` or '' when there are none. Docker builds it with Go's json.Marshal of a
 * map[string]string: keys sorted by their UTF-8 bytes, and encoding/json's escaping (which,
 * unlike the log field's, writes tab, backspace and form feed as `\t` `\b` `\f`).
 */
function attrsJson(attrs: Readonly<Record<string, string>> | undefined): string {
  if (!attrs) return '';
  const keys = Object.keys(attrs).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  if (!keys.length) return '';
  const body = keys.map((k) => `"${escapeGoJson(k)}":"${escapeGoJson(attrs[k]!)}"`).join(',');
  return `"attrs":{${body}},`;
}
