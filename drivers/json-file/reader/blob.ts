import * as fs from 'node:fs';

/** Reads are done in blocks this large: big enough that a tail of hundreds of lines is one read. */
export const BLOCK = 64 * 1024;

/** Blocks read between two turns given back to the event loop (1 MiB). */
const BLOCKS_PER_TURN = 16;

/**
 * Random access to the bytes of one log file: an open fd (plain file) or memory (a
 * decompressed .gz). Tail, seek and the forward scanner work on either the same way.
 */
export interface Blob {
  /** Bytes known at open; an fd may grow past it (the current file while following). */
  readonly size: number;
  /** Up to len bytes at pos; fewer (or none) at the end. */
  read(pos: number, len: number): Promise<Buffer>;
}

/**
 * Reads stay on the calling thread: from the page cache a 64 KiB readSync costs ~5 µs here,
 * the same read through libuv's thread pool ~100 µs of CPU, which alone would spend a
 * `--tail 100`'s budget. So that a long read never holds up the agent (its writer shares the
 * thread), every BLOCKS_PER_TURN-th read first lets the event loop run.
 */
abstract class PacedBlob implements Blob {
  private reads = 0;
  abstract readonly size: number;
  protected abstract readNow(pos: number, len: number): Buffer;

  read(pos: number, len: number): Promise<Buffer> {
    if (++this.reads % BLOCKS_PER_TURN) return Promise.resolve(this.readNow(pos, len));
    return new Promise((resolve, reject) => setImmediate(() => {
      try { resolve(this.readNow(pos, len)); } catch (e) { reject(e); }
    }));
  }
}

/** Reads through an fd held open, so renames and unlinks by the writer cannot take the data away. */
export class FdBlob extends PacedBlob {
  constructor(private readonly fd: number, readonly size: number) { super(); }

  protected readNow(pos: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    return buf.subarray(0, fs.readSync(this.fd, buf, 0, len, pos));
  }
}

export class MemBlob extends PacedBlob {
  constructor(private readonly buf: Buffer) { super(); }

  get size(): number { return this.buf.length; }

  protected readNow(pos: number, len: number): Buffer {
    return this.buf.subarray(pos, Math.min(pos + len, this.buf.length));
  }
}
