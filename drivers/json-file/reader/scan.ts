import { BLOCK, Blob } from './blob';

/** A complete line: buf[start, end) without its newline, found at byte offset in the file. */
export interface Line {
  buf: Buffer;
  start: number;
  end: number;
  offset: number;
}

/**
 * Reads a file forwards in blocks and cuts it into lines. Bytes after the last newline are
 * kept, not reported: while following, the writer may not have finished that entry yet.
 * Only when the file is known complete does the caller take them as a truncated entry.
 */
export class LineScanner {
  /** Offset of the next byte to read from the file. */
  private pos: number;
  private rest: Buffer = Buffer.alloc(0);

  constructor(private readonly blob: Blob, start: number) {
    this.pos = start;
  }

  /** Offset just after the last complete line handed out (where an unfinished entry begins). */
  get consumed(): number { return this.pos - this.rest.length; }

  /**
   * The complete lines of the next block, read from where the last call stopped, up to limit
   * (bytes) or the end of the file; undefined when there is nothing more to read now.
   * Whole blocks at a time: one await per 64 KiB, not per line.
   */
  async next(limit = Infinity): Promise<Line[] | undefined> {
    if (this.pos >= limit) return undefined;
    const chunk = await this.blob.read(this.pos, Math.min(BLOCK, limit - this.pos));
    if (chunk.length === 0) return undefined;
    this.pos += chunk.length;
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const base = this.pos - data.length;
    const lines: Line[] = [];
    let s = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, s)) {
      lines.push({ buf: data, start: s, end: nl, offset: base + s });
      s = nl + 1;
    }
    this.rest = data.subarray(s);
    return lines;
  }

  /** Takes the unterminated bytes at the end, if any: a truncated entry once the file is complete. */
  takeFragment(): { offset: number; length: number } | undefined {
    if (!this.rest.length) return undefined;
    const f = { offset: this.consumed, length: this.rest.length };
    this.rest = Buffer.alloc(0);
    return f;
  }

  /** Starts over at offset 0 (the file was truncated under us). */
  restart(): void {
    this.pos = 0;
    this.rest = Buffer.alloc(0);
  }
}
