import { Readable } from 'node:stream';
import { LineFramer } from './framer';
import { Router } from './router';

/** Lines and bytes read from a workload's output. */
export interface LineCounts {
  messages: { stdout: number; stderr: number };
  bytes: number;
}

/**
 * Reads one output pipe into the router: each chunk framed at once, the pipe paused while
 * a blocking outlet is full (the kernel pipe then fills and the workload blocks in write(2):
 * Docker's mode=blocking). Resolves when the pipe has ended and its last partial is published.
 */
export function pumpStream(stream: Readable, framer: LineFramer, router: Router, counts: LineCounts): Promise<void> {
  const name = framer.stream;
  stream.on('data', (chunk: Buffer) => {
    const msgs = framer.push(chunk);
    counts.messages[name] += msgs.length;
    counts.bytes += chunk.length;
    if (!router.publish(msgs)) {
      stream.pause();
      void router.whenDrained().then(() => stream.resume());
    }
  });
  return new Promise((resolve) => {
    const done = () => {
      const rest = framer.end();
      counts.messages[name] += rest.length;
      router.publish(rest);
      resolve();
    };
    stream.once('end', done);
    stream.once('error', done);
  });
}
