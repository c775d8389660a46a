import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { ReadWarning } from '../../../engine/logs/reader';
import { parseRFC3339Nano } from '../../../engine/logs/timefmt';
import { readGzipLastTime } from '../compress';
import { fdChunks } from '../fdchunks';
import { Blob, FdBlob, MemBlob } from './blob';

/**
 * One file of a log's chain, opened. The fd is taken at once, in the same synchronous step
 * as its siblings, so the set is consistent and survives later renames and unlinks.
 * A .gz file is decompressed (once, on first use) into memory, as Docker decompresses to
 * a temp file: gzip cannot be read backwards or searched.
 */
export class ChainFile {
  private content: Promise<Blob> | undefined;
  private closed = false;

  private constructor(
    /** Where the file was when opened (for warnings). */
    readonly name: string,
    /** Generation (live log) or position in the listing (path-only); only compared, never counted. */
    readonly gen: number,
    readonly fd: number,
    readonly stat: fs.Stats,
  ) {}

  /** Opens path, or undefined when it does not exist (rotated away meanwhile). */
  static open(path: string, gen: number): ChainFile | undefined {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return new ChainFile(path, gen, fd, fs.fstatSync(fd));
  }

  get gz(): boolean { return this.name.endsWith('.gz'); }

  /** How the file is named in warnings; offsets in a .gz count decompressed bytes. */
  get label(): string { return this.gz ? `${this.name} (decompressed)` : this.name; }

  sameFileAs(other: ChainFile): boolean {
    return this.stat.ino === other.stat.ino && this.stat.dev === other.stat.dev;
  }

  /** The lastTime a Docker-style gzip header carries (skip-by-time without decompressing). */
  headerTime(): bigint | undefined {
    if (!this.gz) return undefined;
    const head = Buffer.alloc(4096);
    const n = fs.readSync(this.fd, head, 0, head.length, 0);
    const text = readGzipLastTime(head.subarray(0, n));
    return text === undefined ? undefined : parseRFC3339Nano(text);
  }

  blob(warn: (w: ReadWarning) => void): Promise<Blob> {
    this.content ??= this.gz ? this.gunzip(warn) : Promise.resolve(new FdBlob(this.fd, this.stat.size));
    return this.content;
  }

  /** Drops decompressed bytes once they have been read. */
  release(): void {
    if (this.gz) this.content = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.content = undefined;
    fs.closeSync(this.fd);
  }

  /** A damaged or half-written .gz still gives what it holds before the damage. */
  private async gunzip(warn: (w: ReadWarning) => void): Promise<Blob> {
    const chunks: Buffer[] = [];
    try {
      await pipeline(
        fdChunks(this.fd),
        zlib.createGunzip(),
        async (src: AsyncIterable<Buffer>) => { for await (const c of src) chunks.push(c); },
      );
    } catch (e) {
      const at = chunks.reduce((n, c) => n + c.length, 0);
      warn({ kind: 'corrupt', text: `${this.name}: compressed data is damaged after byte ${at} of its content (${(e as Error).message}); read what came before` });
    }
    return new MemBlob(Buffer.concat(chunks));
  }
}
