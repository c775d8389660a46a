import { LogMessage, PartialMeta, Stream, message } from '../../../engine/logs/message';
import { parseRFC3339Nano } from '../../../engine/logs/timefmt';

/** One json-file entry, decoded. */
export interface Entry {
  stream: Stream;
  time: bigint;
  /** The `log` text without its trailing newline. */
  line: Buffer;
  /** False for a chunk of a long line: Docker stores those without the trailing newline. */
  complete: boolean;
  attrs: Record<string, string> | undefined;
}

/**
 * Decodes one line (without its `\n`) of a json-file log. Returns the reason as a string
 * when the line is not a valid entry, so callers can skip it and say why; never throws.
 */
export function decodeEntry(buf: Buffer, start: number, end: number): Entry | string {
  return decodeDockerShape(buf, start, end) ?? decodeAny(buf, start, end);
}

const HEAD = Buffer.from('{"log":"', 'latin1');
const STREAM_OUT = Buffer.from('","stream":"stdout","time":"', 'latin1');
const STREAM_ERR = Buffer.from('","stream":"stderr","time":"', 'latin1');

/** buf holds what at pos (a plain loop: these are short, and Buffer.compare's checks cost more). */
function at(buf: Buffer, pos: number, what: Buffer): boolean {
  if (buf.length < pos + what.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[pos + i] !== what[i]) return false;
  return true;
}

/**
 * The common case without JSON.parse: Docker's own key order, no attrs, and no escape in
 * the text but the final `\n`. The line is then the file's bytes as they are (a view of the
 * block just read). Anything else returns undefined and takes the general path.
 */
function decodeDockerShape(buf: Buffer, start: number, end: number): Entry | undefined {
  if (!at(buf, start, HEAD)) return undefined;
  const from = start + HEAD.length;
  const quote = buf.indexOf(0x22, from);
  if (quote < 0 || quote >= end) return undefined;
  const slash = buf.indexOf(0x5c, from);
  const complete = slash === quote - 2 && buf[quote - 1] === 0x6e;
  if (slash >= from && slash < quote && !complete) return undefined;
  const stream = at(buf, quote, STREAM_OUT) ? 'stdout' : at(buf, quote, STREAM_ERR) ? 'stderr' : undefined;
  if (!stream || buf[end - 1] !== 0x7d || buf[end - 2] !== 0x22) return undefined;
  const timeFrom = quote + STREAM_OUT.length;
  if (timeFrom > end - 2) return undefined;
  const time = parseTime(buf.toString('latin1', timeFrom, end - 2));
  if (time === undefined) return undefined;
  return { stream, time, line: buf.subarray(from, complete ? quote - 2 : quote), complete, attrs: undefined };
}

function decodeAny(buf: Buffer, start: number, end: number): Entry | string {
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8', start, end));
  } catch {
    return end > start ? 'not JSON' : 'empty line';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  // Docker omits `log` when it is empty.
  const log = o.log ?? '';
  if (typeof log !== 'string') return '"log" is not a string';
  if (o.stream !== 'stdout' && o.stream !== 'stderr') return '"stream" is not stdout or stderr';
  const time = typeof o.time === 'string' ? parseTime(o.time) : undefined;
  if (time === undefined) return '"time" is missing or not an RFC3339 time';
  const attrs = o.attrs === undefined ? undefined : stringMap(o.attrs);
  if (attrs === null) return '"attrs" is not an object of strings';
  const complete = log.endsWith('\n');
  const line = Buffer.from(complete ? log.slice(0, -1) : log, 'utf8');
  return { stream: o.stream, time, line, complete, attrs };
}

function stringMap(v: unknown): Record<string, string> | undefined | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const entries = Object.entries(v);
  if (!entries.every(([, x]) => typeof x === 'string')) return null;
  return entries.length ? (v as Record<string, string>) : undefined;
}

/**
 * A pure memo: entries come in bursts within one second, so the date and clock part of
 * `2006-01-02T15:04:05.999999999Z` is parsed once per second and only the fraction after.
 * It halves the cost of decoding an entry.
 */
const memo = { head: '', ns: 0n };

/** Nanoseconds of a `Z` or `.d{1,9}Z` tail starting at i, or undefined if the tail is anything else. */
function fractionZ(text: string, i: number): number | undefined {
  if (text.length === i + 1) return text.charCodeAt(i) === 0x5a ? 0 : undefined;
  const digits = text.length - i - 2;
  if (text.charCodeAt(i) !== 0x2e || text.charCodeAt(text.length - 1) !== 0x5a || digits < 1 || digits > 9) return undefined;
  let n = 0;
  for (let k = i + 1; k < text.length - 1; k++) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n * 10 ** (9 - digits);
}

function parseTime(text: string): bigint | undefined {
  if (memo.head && text.startsWith(memo.head)) {
    const frac = fractionZ(text, memo.head.length);
    if (frac !== undefined) return memo.ns + BigInt(frac);
  }
  const t = parseRFC3339Nano(text);
  if (t !== undefined && text.length >= 20 && text[19] !== '+' && text[19] !== '-' && text.endsWith('Z')) {
    memo.head = text.slice(0, 19);
    memo.ns = parseRFC3339Nano(`${memo.head}Z`)!;
  }
  return t;
}

const TIME_KEY = Buffer.from('"time":"', 'latin1');

/**
 * The time of an entry without decoding the rest (for seeking). Docker writes `time` last,
 * so the fast path reads it from the end of the line; `"time":"` cannot occur unescaped
 * inside a string value, and a nested key would be followed by `}}`, not `"}`.
 * Other key orders fall back to a full decode.
 */
export function peekTime(buf: Buffer, start: number, end: number): bigint | undefined {
  if (end - start > TIME_KEY.length + 2 && buf[end - 1] === 0x7d && buf[end - 2] === 0x22) {
    const k = buf.lastIndexOf(TIME_KEY, end - 2);
    if (k >= start) {
      const t = parseTime(buf.toString('latin1', k + TIME_KEY.length, end - 2));
      if (t !== undefined) return t;
    }
  }
  const e = decodeEntry(buf, start, end);
  return typeof e === 'string' ? undefined : e.time;
}

/**
 * json-file keeps no partial metadata: a chunk of a long line is only marked by the missing
 * newline. This gives chunks back a PartialMeta (per stream: ordinals from 1, `last` on the
 * entry that ends the line) so `endsLine()` holds and nothing adds a newline to a chunk.
 * The id is empty because the file does not store it.
 */
export class PartialTracker {
  private readonly open: Record<Stream, number> = { stdout: 0, stderr: 0 };

  toMessage(e: Entry): LogMessage {
    return message(e.stream, e.time, e.line, this.mark(e.stream, e.complete), e.attrs);
  }

  private mark(stream: Stream, complete: boolean): PartialMeta | undefined {
    const n = this.open[stream];
    this.open[stream] = complete ? 0 : n + 1;
    if (complete && n === 0) return undefined;
    return { id: '', ordinal: n + 1, last: complete };
  }
}
