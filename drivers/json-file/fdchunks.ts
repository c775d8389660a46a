import * as fs from 'node:fs';
import { promisify } from 'node:util';

const read = promisify(fs.read);

/**
 * The bytes of an open file from `start` on, in chunks, by positional reads. Unlike
 * fs.createReadStream({ fd, autoClose: false }), nothing here ever closes the fd: a stream that a
 * failed pipeline destroys closes its fd anyway, and its owner's own close then hits a number
 * that may already belong to another file (the agent's log writer, say).
 */
export async function* fdChunks(fd: number, start = 0, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let pos = start; ;) {
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await read(fd, buf, 0, size, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}
