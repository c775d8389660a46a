import { EventTime, ForwardRecord, ForwardTime } from './record';

/**
 * One PackedForward entry, `[time, record]` in MessagePack, in a buffer of its own size.
 *
 * fluent-logger encodes each event with msgpack-lite, whose every encode call starts a fresh
 * 2 KiB `Buffer.alloc` and returns a view of it: a 145-byte entry keeps 2 KiB alive until the
 * library has joined the batch into a frame. A batch of 8192 short lines then holds 16 MiB
 * outside the V8 heap per outlet, which glibc keeps after it is freed (the agent's RSS grew by
 * hundreds of MiB after each fluentd outage in bench/soak). Here the entry goes into
 * `Buffer.allocUnsafe(size)`, which Node carves out of its shared 8 KiB pool for small sizes.
 *
 * The bytes are msgpack-lite's (same type choices: fixstr/str8/str16/str32, fixmap/map16/map32,
 * uint for the seconds, fixext 8 type 0 for an EventTime). Anything else (a value that is not a
 * string, a time that is not a uint32 or an EventTime) returns undefined: the caller then uses
 * the library's own encoder.
 */
export function encodeEntry(time: ForwardTime, record: ForwardRecord): Buffer | undefined {
  const ts = timeSize(time);
  if (ts === 0) return undefined;
  const keys = Object.keys(record);
  let size = 1 + ts + headSize(keys.length, 16);
  const lengths = new Array<number>(keys.length * 2);
  for (let i = 0; i < keys.length; i++) {
    const v = record[keys[i]!];
    if (typeof v !== 'string') return undefined;
    const kl = Buffer.byteLength(keys[i]!, 'utf8');
    const vl = Buffer.byteLength(v, 'utf8');
    lengths[2 * i] = kl;
    lengths[2 * i + 1] = vl;
    size += strHeadSize(kl) + kl + strHeadSize(vl) + vl;
  }
  const b = Buffer.allocUnsafe(size);
  let at = b.writeUInt8(0x92, 0); // fixarray of 2
  at = writeTime(b, at, time);
  at = writeHead(b, at, keys.length, 0x80, 0xde, 0xdf, 16);
  for (let i = 0; i < keys.length; i++) {
    at = writeStr(b, at, keys[i]!, lengths[2 * i]!);
    at = writeStr(b, at, record[keys[i]!]!, lengths[2 * i + 1]!);
  }
  return b;
}

/** Bytes for the time: 0 when it is not one we encode. */
function timeSize(t: ForwardTime): number {
  if (t instanceof EventTime) return isUint32(t.epoch) && isUint32(Number(t.nano)) ? 10 : 0; // fixext 8: 0xd7, type, 8 bytes
  if (!isUint32(t)) return 0;
  return t <= 0x7f ? 1 : t <= 0xff ? 2 : t <= 0xffff ? 3 : 5;
}

function writeTime(b: Buffer, at: number, t: ForwardTime): number {
  if (typeof t !== 'number') {
    at = b.writeUInt8(0xd7, at);
    at = b.writeUInt8(0x00, at);
    at = b.writeUInt32BE(t.epoch, at);
    return b.writeUInt32BE(Number(t.nano), at); // a number at run time (the typings say string)
  }
  if (t <= 0x7f) return b.writeUInt8(t, at);
  if (t <= 0xff) { at = b.writeUInt8(0xcc, at); return b.writeUInt8(t, at); }
  if (t <= 0xffff) { at = b.writeUInt8(0xcd, at); return b.writeUInt16BE(t, at); }
  at = b.writeUInt8(0xce, at);
  return b.writeUInt32BE(t, at);
}

function isUint32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** fixmap (fix < 16 entries), map 16, map 32: the header's size. */
function headSize(n: number, fix: number): number {
  return n < fix ? 1 : n <= 0xffff ? 3 : 5;
}

function strHeadSize(n: number): number {
  return n < 32 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5;
}

function writeHead(b: Buffer, at: number, n: number, fixBase: number, t16: number, t32: number, fix: number): number {
  if (n < fix) return b.writeUInt8(fixBase + n, at);
  if (n <= 0xffff) { at = b.writeUInt8(t16, at); return b.writeUInt16BE(n, at); }
  at = b.writeUInt8(t32, at);
  return b.writeUInt32BE(n, at);
}

function writeStr(b: Buffer, at: number, s: string, len: number): number {
  if (len < 32) at = b.writeUInt8(0xa0 + len, at);
  else if (len <= 0xff) { at = b.writeUInt8(0xd9, at); at = b.writeUInt8(len, at); }
  else at = writeHead(b, at, len, 0, 0xda, 0xdb, 0);
  return at + b.write(s, at, len, 'utf8');
}
