import { LogMessage } from '../../../engine/logs/message';
import { LogReader, ReadOptions, ReadWarning } from '../../../engine/logs/reader';
import { flatten } from './batches';
import { ChainFile } from './chainfile';
import { Emission, openCursor } from './emit';
import { follow } from './follow';
import { Position, later } from './position';
import { sinceStart } from './seek';
import { ChainSource } from './source';
import { tailStart } from './tail';
import { Waker } from './wake';

/** Reads a json-file log (current file and rotated ones, plain or .gz) as `docker logs` does. */
export class JsonFileReader implements LogReader {
  constructor(private readonly source: ChainSource) {}

  read(o: ReadOptions, signal: AbortSignal, onWarning?: (w: ReadWarning) => void): AsyncIterable<LogMessage> {
    return flatten(this.run(o, signal, onWarning ?? (() => {})));
  }

  private async *run(o: ReadOptions, signal: AbortSignal, warn: (w: ReadWarning) => void): AsyncGenerator<LogMessage[]> {
    const waker = new Waker();
    signal.addEventListener('abort', waker.notify);
    // Subscribe before opening the files: a write in between would otherwise wake nobody.
    const unwatch = o.follow ? this.source.watch(waker.notify, (e) => waker.fail(e)) : undefined;
    let files: ChainFile[] = [];
    try {
      files = this.source.open();
      if (!files.length || signal.aborted) return;
      const start = await startOf(files, o, warn);
      for (const f of files.slice(0, start.index)) f.close();
      const em = new Emission(o, signal, warn);
      const last = files.length - 1;
      for (let i = start.index; i <= last; i++) {
        const c = await openCursor(files[i]!, i === start.index ? start.pos : 0, warn);
        if (i === last && o.follow && !untilPassed(o)) {
          yield* follow(c, this.source, em, waker, signal);
          return;
        }
        // Not following: the current file is read only up to its size at open.
        if (yield* em.drain(c, (await files[i]!.blob(warn)).size)) return;
        em.finish(c);
        files[i]!.close();
      }
    } finally {
      unwatch?.();
      signal.removeEventListener('abort', waker.notify);
      for (const f of files) f.close();
    }
  }
}

/** Where the history starts: the later of the tail and since positions (times are near-monotonic). */
async function startOf(files: readonly ChainFile[], o: ReadOptions, warn: (w: ReadWarning) => void): Promise<Position> {
  let start: Position = { index: 0, pos: 0 };
  if (o.since !== undefined) start = await sinceStart(files, o.since, warn);
  // Docker: a negative tail means all.
  if (o.tail !== undefined && o.tail >= 0) start = later(start, await tailStart(files, Math.floor(o.tail), start, warn));
  return start;
}

/** With until already past, following could only wait for an entry that ends the read anyway. */
function untilPassed(o: ReadOptions): boolean {
  return o.until !== undefined && o.until < BigInt(Date.now()) * 1_000_000n;
}
