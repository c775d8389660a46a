import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { LogMessage, endsLine, message } from '../../engine/logs/message';

/**
 * Log records on the API: one JSON object per line (NDJSON).
 *   {"s":"stdout","t":"<ns>","l":"text"[,"b":1][,"p":1][,"a":{...}]}   a message
 *     l is base64 when b is set (bytes that are not UTF-8); p marks a chunk without newline
 *   {"w":"text"[,"n":count]}                                          a reader warning
 *   {"exit":N}                                                          an attached run ended
 */
export interface WireRecord {
  s?: 'stdout' | 'stderr';
  t?: string;
  l?: string;
  b?: 1;
  p?: 1;
  a?: Record<string, string>;
  w?: string;
  n?: number;
  exit?: number;
}

export function encodeMessage(m: LogMessage): string {
  const line = m.line;
  const utf8 = isUtf8(line);
  const rec: WireRecord = { s: m.stream, t: m.time.toString(), l: line.toString(utf8 ? 'utf8' : 'base64') };
  if (!utf8) rec.b = 1;
  if (!endsLine(m)) rec.p = 1;
  if (m.attrs && Object.keys(m.attrs).length) rec.a = { ...m.attrs };
  return JSON.stringify(rec) + '\n';
}

export function decodeMessage(r: WireRecord): LogMessage {
  const line = Buffer.from(r.l ?? '', r.b ? 'base64' : 'utf8');
  return message(r.s ?? 'stdout', BigInt(r.t ?? '0'), line, r.p ? { id: '', ordinal: 0, last: false } : undefined, r.a);
}

/** Splits a byte stream into NDJSON records. */
export async function* readRecords(stream: AsyncIterable<Buffer>): AsyncIterable<WireRecord> {
  // A chunk may end inside a multi-byte character: the decoder keeps its first bytes for the next one.
  const utf8 = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    rest += utf8.write(chunk);
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line) yield JSON.parse(line) as WireRecord;
    }
  }
  rest += utf8.end();
  if (rest.trim()) yield JSON.parse(rest) as WireRecord;
}
