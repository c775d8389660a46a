import { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { LogDriver, SendResult } from '../engine/logs/driver';
import { LogMessage } from '../engine/logs/message';
import { Outlet } from '../engine/logs/outlet';
import { encodeMessage } from './api/logwire';

/**
 * A live attach: messages written to an HTTP response as they come. It is a blocking
 * outlet, so a client that stops reading slows the workload down, as `docker attach` does.
 */
export function responseTap(res: ServerResponse): Outlet {
  const driver: LogDriver = {
    name: 'attach',
    async send(batch: readonly LogMessage[]): Promise<SendResult> {
      if (res.destroyed) return { status: 'ok' };
      let text = '';
      for (const m of batch) text += encodeMessage(m);
      if (!res.write(text)) {
        // Whichever comes first; then the other listener goes, else every full socket left one behind.
        const done = new AbortController();
        await Promise.race([once(res, 'drain', { signal: done.signal }), once(res, 'close', { signal: done.signal })]).catch(() => undefined);
        done.abort();
      }
      return { status: 'ok' };
    },
    async close() {},
  };
  return new Outlet(driver, {
    delivery: { mode: 'blocking', maxBufferBytes: 256 * 1024 },
    batch: { maxEvents: 4096, maxBytes: 1 << 20, flushMs: 0 },
  });
}
