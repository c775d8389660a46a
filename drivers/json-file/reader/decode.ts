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
const FRACTION_Z = /^(?:\.(\d{1,9}))?Z$/;

function parseTime(text: string): bigint | undefined {
  if (memo.head && text.startsWith(memo.head)) {
    const m = FRACTION_Z.exec(text.slice(memo.head.length));
    if (m) return memo.ns + (m[1] ? BigInt(m[1].padEnd(9, '0')) : 0n);
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
