import { LogMessage } from '../../../engine/logs/message';
import { Cursor, Emission, openCursor } from './emit';
import { ChainSource } from './source';
import { Waker } from './wake';

/**
 * After the history: every new entry, across any number of rotations. The state of the held
 * file is taken before draining it, so a file seen rotated (or the writer seen closed) is read
 * to its very end through the fd before moving on. Sleeps only on the source's wake-ups.
 * Ends when the writer closed and all was read, at until, or on abort.
 */
export async function* follow(
  start: Cursor,
  source: ChainSource,
  em: Emission,
  waker: Waker,
  signal: AbortSignal,
): AsyncGenerator<LogMessage[]> {
  let c = start;
  try {
    for (;;) {
      waker.arm();
      const st = source.state(c.file, c.scanner.consumed);
      if (st === 'truncated') {
        em.warn({ kind: 'missed', text: `${c.file.label} was truncated under the reader: reading it again from the start; what it held and was not read yet is lost` });
        c.scanner.restart();
        continue;
      }
      if (yield* em.drain(c)) return;
      if (st === 'live') {
        await waker.wait();
        if (signal.aborted) return;
        continue;
      }
      em.finish(c);
      if (st === 'ended') return;
      let next;
      for (;;) {
        waker.arm();
        next = source.next(c.file, c.lastTime, em.warn);
        if (next !== 'wait') break;
        await waker.wait();
        if (signal.aborted) return;
      }
      c.file.close();
      if (next === 'end') return;
      c = await openCursor(next, 0, em.warn);
    }
  } finally {
    c.file.close();
  }
}
