import * as fs from 'node:fs';

/** Reads are done in blocks this large: big enough that a tail of hundreds of lines is one read. */
export const BLOCK = 64 * 1024;

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

/** Reads through an fd held open, so renames and unlinks by the writer cannot take the data away. */
export class FdBlob implements Blob {
  constructor(private readonly fd: number, readonly size: number) {}

  read(pos: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(len);
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buf, 0, len, pos, (err, n) => (err ? reject(err) : resolve(buf.subarray(0, n))));
    });
  }
}

export class MemBlob implements Blob {
  constructor(private readonly buf: Buffer) {}

  get size(): number { return this.buf.length; }

  read(pos: number, len: number): Promise<Buffer> {
    return Promise.resolve(this.buf.subarray(pos, Math.min(pos + len, this.buf.length)));
  }
}
