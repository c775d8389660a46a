import { LogMessage } from '../../../engine/logs/message';
import { ReadOptions, ReadWarning } from '../../../engine/logs/reader';
import { ChainFile } from './chainfile';
import { PartialTracker, decodeEntry } from './decode';
import { LineScanner } from './scan';

/** A file being read forwards, and the time of the last entry seen in it (to find it again after a rotation). */
export interface Cursor {
  file: ChainFile;
  scanner: LineScanner;
  lastTime: bigint | undefined;
}

export async function openCursor(file: ChainFile, pos: number, warn: (w: ReadWarning) => void): Promise<Cursor> {
  return { file, scanner: new LineScanner(await file.blob(warn), pos), lastTime: undefined };
}

/**
 * Turns lines into messages for one read: decodes, skips and reports corrupt entries, and
 * applies since/until as Docker does: entries before since are skipped until the first one
 * >= since (then the filter is off, times may go back a little); the first entry after until ends the read.
 */
export class Emission {
  private sinceOn: boolean;
  private readonly partials = new PartialTracker();

  constructor(private readonly o: ReadOptions, private readonly signal: AbortSignal, readonly warn: (w: ReadWarning) => void) {
    this.sinceOn = o.since !== undefined;
  }

  /** Messages from the cursor's complete lines up to limit; returns true when the read must end. */
  async *drain(c: Cursor, limit?: number): AsyncGenerator<LogMessage, boolean> {
    for await (const l of c.scanner.lines(limit)) {
      if (this.signal.aborted) return true;
      const e = decodeEntry(l.buf, l.start, l.end);
      if (typeof e === 'string') {
        this.warn({ kind: 'corrupt', text: `${c.file.label}: skipped a corrupt entry at byte ${l.offset}: ${e}` });
        continue;
      }
      c.lastTime = e.time;
      if (this.o.until !== undefined && e.time > this.o.until) return true;
      if (this.sinceOn) {
        if (e.time < this.o.since!) continue;
        this.sinceOn = false;
      }
      yield this.partials.toMessage(e);
    }
    return this.signal.aborted;
  }

  /** The cursor's file is complete: bytes after its last newline are a truncated entry. */
  finish(c: Cursor): void {
    const f = c.scanner.takeFragment();
    if (f) this.warn({ kind: 'corrupt', text: `${c.file.label}: skipped a truncated entry at byte ${f.offset} (${f.length} bytes, no newline)` });
  }
}
