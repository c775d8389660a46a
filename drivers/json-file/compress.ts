import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { fdChunks } from './fdchunks';

/**
 * Gzips a rotated file in the background, as Docker does: the gzip header's extra field
 * holds {"lastTime":"<time of the last entry>"} so readers can skip the whole file by
 * time without decompressing it. Node's gzip writer cannot set that field, so the header
 * and trailer are written here around a raw deflate stream.
 *
 * The source is opened at once, so the file may be renamed meanwhile; `done(tmp)` runs when
 * the compressed copy is complete and decides where it goes. The source is never removed here.
 */
export async function compressRotated(src: string, lastTime: string | undefined, done: (tmp: string) => void): Promise<void> {
  const fd = fs.openSync(src, 'r');
  const tmp = `${src}.gz-tmp-${process.hrtime.bigint()}`;
  let opened: fs.WriteStream | undefined;
  try {
    let crc = 0;
    let size = 0;
    const tally = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        crc = zlib.crc32(chunk, crc);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const out = (opened = fs.createWriteStream(tmp, { mode: 0o640 }));
    out.write(gzipHeader(lastTime));
    await pipeline(fdChunks(fd), tally, zlib.createDeflateRaw(), out, { end: false });
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(size >>> 0, 4);
    await new Promise<void>((resolve, reject) => out.end(trailer, () => resolve()).once('error', reject));
    done(tmp);
  } catch (e) {
    opened?.destroy(); // with { end: false } a failed pipeline leaves it open: its fd would leak
    fs.rmSync(tmp, { force: true });
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

function gzipHeader(lastTime: string | undefined): Buffer {
  const extra = lastTime ? Buffer.from(JSON.stringify({ lastTime }), 'utf8') : Buffer.alloc(0);
  const head = Buffer.alloc(10);
  head[0] = 0x1f; head[1] = 0x8b; head[2] = 8; // deflate
  head[3] = extra.length ? 0x04 : 0; // FEXTRA
  head.writeUInt32LE(Math.floor(Date.now() / 1000), 4);
  head[8] = 0; head[9] = 255; // OS unknown, as Go writes it
  if (!extra.length) return head;
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(extra.length, 0);
  return Buffer.concat([head, xlen, extra]);
}

/** Reads the lastTime stored in a gzip header's extra field, if any (the reader's skip test). */
export function readGzipLastTime(header: Buffer): string | undefined {
  if (header.length < 12 || header[0] !== 0x1f || header[1] !== 0x8b || !(header[3]! & 0x04)) return undefined;
  const xlen = header.readUInt16LE(10);
  if (header.length < 12 + xlen) return undefined;
  try {
    const meta = JSON.parse(header.toString('utf8', 12, 12 + xlen)) as { lastTime?: unknown };
    return typeof meta.lastTime === 'string' ? meta.lastTime : undefined;
  } catch {
    return undefined;
  }
}
