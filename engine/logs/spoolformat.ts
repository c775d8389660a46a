import { crc32 } from 'node:zlib';
import { LogMessage, PartialMeta, message } from './message';

/**
 * The bytes of a spool segment: a magic header, then records of
 * `[u32 payload length][u32 crc32(payload)][payload]`, all little-endian. A payload is a run of
 * messages. The length and checksum let a reader find where a crash cut the last write.
 */
export const SEGMENT_MAGIC = Buffer.from('CORRALSPOOL1\n');
export const RECORD_HEADER = 8;
/** Records are cut near this size, so one record never needs more than a small read. */
export const RECORD_TARGET = 32 * 1024;

const STDERR = 1;
const PARTIAL = 2;
const LAST = 4;
const ATTRS = 8;

/** Encodes messages as records of about RECORD_TARGET bytes each (one message never splits). */
export function encodeRecords(msgs: readonly LogMessage[]): Buffer[] {
  const out: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  let count = 0;
  const seal = () => {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(count, 0);
    out.push(frame(Buffer.concat([head, ...parts], size + 4)));
    parts = [];
    size = 0;
    count = 0;
  };
  for (const m of msgs) {
    const enc = encodeMessage(m);
    if (count && size + enc.length > RECORD_TARGET) seal();
    parts.push(enc);
    size += enc.length;
    count++;
  }
  if (count) seal();
  return out;
}

function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(RECORD_HEADER);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

function encodeMessage(m: LogMessage): Buffer {
  const id = m.partial ? Buffer.from(m.partial.id) : undefined;
  const attrs = m.attrs ? Buffer.from(JSON.stringify(m.attrs)) : undefined;
  const len = m.end - m.start;
  const b = Buffer.alloc(1 + 8 + 4 + len + (id ? 2 + id.length + 4 : 0) + (attrs ? 4 + attrs.length : 0));
  let flags = m.stream === 'stderr' ? STDERR : 0;
  if (m.partial) flags |= PARTIAL | (m.partial.last ? LAST : 0);
  if (attrs) flags |= ATTRS;
  let o = b.writeUInt8(flags, 0);
  o = b.writeBigInt64LE(m.time, o);
  o = b.writeUInt32LE(len, o);
  o += m.src.copy(b, o, m.start, m.end);
  if (id) {
    o = b.writeUInt16LE(id.length, o);
    o += id.copy(b, o);
    o = b.writeUInt32LE(m.partial!.ordinal, o);
  }
  if (attrs) {
    o = b.writeUInt32LE(attrs.length, o);
    attrs.copy(b, o);
  }
  return b;
}

/** What a record header says: the payload's length and checksum. */
export function readHeader(b: Buffer): { length: number; crc: number } {
  return { length: b.readUInt32LE(0), crc: b.readUInt32LE(4) };
}

export function checksumOk(payload: Buffer, crc: number): boolean {
  return crc32(payload) === crc;
}

/** The messages of a record's payload (their bytes are views into it). Throws on a malformed payload. */
export function decodePayload(p: Buffer): LogMessage[] {
  const count = p.readUInt32LE(0);
  const out: LogMessage[] = [];
  let o = 4;
  for (let i = 0; i < count; i++) {
    const flags = p.readUInt8(o);
    const time = p.readBigInt64LE(o + 1);
    const len = p.readUInt32LE(o + 9);
    o += 13;
    if (o + len > p.length) throw new RangeError('spool record: line runs past its record');
    const line = p.subarray(o, o + len);
    o += len;
    let partial: PartialMeta | undefined;
    if (flags & PARTIAL) {
      const idLen = p.readUInt16LE(o);
      const id = p.toString('utf8', o + 2, o + 2 + idLen);
      partial = { id, ordinal: p.readUInt32LE(o + 2 + idLen), last: (flags & LAST) !== 0 };
      o += 2 + idLen + 4;
    }
    let attrs: Record<string, string> | undefined;
    if (flags & ATTRS) {
      const n = p.readUInt32LE(o);
      attrs = JSON.parse(p.toString('utf8', o + 4, o + 4 + n)) as Record<string, string>;
      o += 4 + n;
    }
    out.push(message(flags & STDERR ? 'stderr' : 'stdout', time, line, partial, attrs));
  }
  if (o !== p.length) throw new RangeError('spool record: bytes left after its last line');
  return out;
}

/**
 * Where the intact records of a segment's bytes end: the first record whose header runs past
 * the end, whose payload is cut short or whose checksum does not match ends the valid part.
 */
export function validLength(b: Buffer): number {
  if (b.length < SEGMENT_MAGIC.length || !b.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) return 0;
  let o = SEGMENT_MAGIC.length;
  while (o + RECORD_HEADER <= b.length) {
    const { length, crc } = readHeader(b.subarray(o, o + RECORD_HEADER));
    const end = o + RECORD_HEADER + length;
    if (end > b.length || !checksumOk(b.subarray(o + RECORD_HEADER, end), crc)) break;
    o = end;
  }
  return o;
}
