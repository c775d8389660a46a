import * as path from 'node:path';
import { DriverContext, DriverDefinition, LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage } from '../../engine/logs/message';
import { extraAttributes } from '../shared/attrs';
import { expandTag } from '../shared/tag';
import { JsonEntryEncoder } from './encode';
import { LogFile } from './logfile';
import { JsonFileOptions, parseJsonFileOptions } from './options';
import { openJsonFileReader, pathSource } from './reader';

export function jsonLogPath(ctx: Pick<DriverContext, 'id' | 'logDir'>): string {
  return path.join(ctx.logDir, `${ctx.id}-json.log`);
}

/**
 * Writes Docker's json-file log. A batch (one pipe chunk, usually) becomes one write:
 * entries are encoded into a reused buffer, cut only where the size check says rotate.
 */
export class JsonFileDriver implements LogDriver {
  readonly name = 'json-file';
  private scratch = Buffer.allocUnsafe(1 << 20);
  private ends = new Int32Array(1024);
  /** Entries of the current send already in the file. */
  private appended = 0;
  /** A batch cut short by a failed write (a rotation cut it in pieces): its first `done` entries are written, a retry skips them. */
  private partial: { batch: readonly LogMessage[]; done: number } | undefined;
  private failedWrites = 0;

  constructor(readonly file: LogFile, private readonly encoder: JsonEntryEncoder) {}

  async send(batch: readonly LogMessage[]): Promise<SendResult> {
    const done = this.partial?.batch === batch ? this.partial.done : 0;
    this.partial = undefined;
    this.appended = 0;
    try {
      this.file.reconcile();
      this.write(done ? batch.slice(done) : batch);
      return { status: 'ok' };
    } catch (e) {
      // Disk full or the like: the outlet retries (blocking mode blocks, non-blocking drops what no longer fits).
      this.failedWrites++;
      if (done + this.appended > 0) this.partial = { batch, done: done + this.appended };
      return { status: 'retry', error: e as Error };
    }
  }

  /** Writes that failed (each retry of a batch counts again). */
  writeErrors(): number {
    return this.failedWrites;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private write(batch: readonly LogMessage[]): void {
    const bound = this.encoder.maxBatchLength(batch);
    if (bound > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(bound, this.scratch.length * 2));
    if (batch.length > this.ends.length) this.ends = new Int32Array(Math.max(batch.length, this.ends.length * 2));
    const out = this.scratch;
    const ends = this.ends;
    const total = this.encoder.encodeBatch(batch, out, ends);
    const max = this.file.opts.maxSize;
    const n = batch.length;
    if (max === null) return this.append(out, 0, total, batch, 0, n);
    // Docker checks the size before each entry and rotates when it has reached max-size:
    // cut the encoded bytes at the first entry that check would send to a new file.
    let from = 0;
    let fromByte = 0;
    while (from < n) {
      if (this.file.currentSize >= max) { this.file.rotate(); continue; }
      // The first entry k in [from, n - 1) after which the file has reached max-size: entry k + 1
      // opens a new file. (Reaching it with the last entry rotates before the next batch.)
      const target = max - this.file.currentSize + fromByte;
      let lo = from;
      let hi = n - 1;
      while (lo < hi) { const mid = (lo + hi) >>> 1; if (ends[mid]! >= target) hi = mid; else lo = mid + 1; }
      if (lo === n - 1) break;
      this.append(out, fromByte, ends[lo]!, batch, from, lo + 1);
      from = lo + 1;
      fromByte = ends[lo]!;
    }
    this.append(out, fromByte, total, batch, from, n);
  }

  private append(out: Buffer, a: number, b: number, batch: readonly LogMessage[], from: number, to: number): void {
    if (to > from) this.file.append(out.subarray(a, b), to - from, this.encoder.timeText(batch[to - 1]!.time));
    this.appended += to - from;
  }
}

export function openJsonFileDriver(o: JsonFileOptions, ctx: DriverContext): JsonFileDriver {
  const attrs = extraAttributes(o.attrs, ctx);
  if (o.attrs['tag'] !== undefined) attrs['tag'] = expandTag(o.attrs['tag'], ctx);
  const file = new LogFile(jsonLogPath(ctx), { maxSize: o.maxSize, maxFiles: o.maxFiles, compress: o.compress });
  return new JsonFileDriver(file, new JsonEntryEncoder(attrs));
}

export const jsonFile: DriverDefinition<JsonFileOptions> = {
  name: 'json-file',
  parseOptions: parseJsonFileOptions,
  batch: { maxEvents: 1 << 20, maxBytes: 64 << 20, flushMs: 0 },
  // A full disk gets space back with no one telling us: look again soon, not after up to 30 s.
  retry: { baseMs: 100, capMs: 1000 },
  create: async (o, ctx) => openJsonFileDriver(o, ctx),
  openReader: (_o, ctx) => openJsonFileReader(pathSource(jsonLogPath(ctx))),
  writesLocalLog: () => true,
};
