import { Readable } from 'node:stream';
import { LineFramer } from './framer';
import { Router } from './router';

/** Lines and bytes read from a workload's output. */
export interface LineCounts {
  messages: { stdout: number; stderr: number };
  bytes: number;
}

/** A pipe being read into the router. */
export interface Pump {
  /** Resolves when the pipe has ended and its last partial is published. */
  readonly done: Promise<void>;
  /**
   * The workload has exited: read what is left without waiting on full outlets. Nobody blocks on
   * the pipe any more, and what it holds is bounded by its size; a stuck log server must not keep
   * the run from ending (the outlets still deliver it, in the background for remote ones).
   */
  flush(): void;
}

/**
 * Reads one output pipe into the router: each chunk framed at once, the pipe paused while
 * a blocking outlet is full (the kernel pipe then fills and the workload blocks in write(2):
 * Docker's mode=blocking).
 */
export function pumpStream(stream: Readable, framer: LineFramer, router: Router, counts: LineCounts): Pump {
  const name = framer.stream;
  let flushing = false;
  stream.on('data', (chunk: Buffer) => {
    const msgs = framer.push(chunk);
    counts.messages[name] += msgs.length;
    counts.bytes += chunk.length;
    if (!router.publish(msgs) && !flushing) {
      stream.pause();
      void router.whenDrained().then(() => stream.resume());
    }
  });
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      const rest = framer.end();
      counts.messages[name] += rest.length;
      router.publish(rest);
      resolve();
    };
    stream.once('end', finish);
    stream.once('error', finish);
  });
  return {
    done,
    flush: () => { flushing = true; stream.resume(); },
  };
}
