import { LogMessage } from '../../../engine/logs/message';
import { ReadOptions, ReadWarning } from '../../../engine/logs/reader';
import { ChainFile } from './chainfile';
import { PartialTracker, decodeEntry, peekTime } from './decode';
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

  /**
   * Messages from the cursor's complete lines up to limit, a block's worth per batch;
   * returns true when the read must end (until passed, or aborted).
   */
  async *drain(c: Cursor, limit?: number): AsyncGenerator<LogMessage[], boolean> {
    for (let lines; (lines = await c.scanner.next(limit)); ) {
      const out: LogMessage[] = [];
      let stop = this.signal.aborted;
      for (let i = 0; i < lines.length && !stop; i++) {
        const l = lines[i]!;
        if (this.sinceOn) {
          // Before since, the time alone decides: no need to decode what is skipped.
          const t = peekTime(l.buf, l.start, l.end);
          if (t !== undefined && t < this.o.since!) {
            c.lastTime = t;
            continue;
          }
        }
        const e = decodeEntry(l.buf, l.start, l.end);
        if (typeof e === 'string') {
          this.warn({ kind: 'corrupt', text: `${c.file.label}: skipped a corrupt entry at byte ${l.offset}: ${e}` });
          continue;
        }
        c.lastTime = e.time;
        if (this.o.until !== undefined && e.time > this.o.until) stop = true;
        else if (this.sinceOn && e.time < this.o.since!) continue;
        else {
          this.sinceOn = false;
          out.push(this.partials.toMessage(e));
        }
      }
      if (out.length) yield out;
      if (stop) return true;
    }
    return this.signal.aborted;
  }

  /** The cursor's file is complete: bytes after its last newline are a truncated entry. */
  finish(c: Cursor): void {
    const f = c.scanner.takeFragment();
    if (f) this.warn({ kind: 'corrupt', text: `${c.file.label}: skipped a truncated entry at byte ${f.offset} (${f.length} bytes, no newline)` });
  }
}
