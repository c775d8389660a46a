import type * as http from 'node:http';

const PING_MS = 15_000;

/**
 * One Server-Sent Events response. `send` reports whether the socket took the bytes at once;
 * callers decide what to do when it did not (drop to the latest, or wait for `drained()`).
 * The ping comment keeps proxies and the browser from timing an idle stream out.
 */
export class SseStream {
  private readonly ping: NodeJS.Timeout;
  private readonly gone = new AbortController();

  constructor(private readonly res: http.ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // a proxy in front must not hold events back
    });
    res.socket?.setNoDelay(true);
    res.flushHeaders();
    this.ping = setInterval(() => { if (!res.writableNeedDrain) res.write(': ping\n\n'); }, PING_MS);
    const close = () => { clearInterval(this.ping); this.gone.abort(); };
    res.once('close', close);
  }

  /** Aborts when the client has gone (or end() was called). */
  get signal(): AbortSignal {
    return this.gone.signal;
  }

  /** True while the socket's buffer is over its high-water mark. */
  get congested(): boolean {
    return this.res.writableNeedDrain;
  }

  /** Writes one event; false when the socket buffer is now full (the event is still queued). */
  send(event: string, data: unknown): boolean {
    if (this.gone.signal.aborted) return false;
    const json = typeof data === 'string' ? data : JSON.stringify(data);
    // JSON has no raw newlines, so one data: line always holds it.
    return this.res.write(`event: ${event}\ndata: ${json}\n\n`);
  }

  /** Resolves when the socket can take more, or the client is gone. */
  drained(): Promise<void> {
    if (!this.res.writableNeedDrain || this.gone.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { this.res.off('drain', done); this.gone.signal.removeEventListener('abort', done); resolve(); };
      this.res.once('drain', done);
      this.gone.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Calls fn on every drain until the client goes. */
  onDrain(fn: () => void): void {
    this.res.on('drain', fn);
    this.gone.signal.addEventListener('abort', () => this.res.off('drain', fn), { once: true });
  }

  end(): void {
    clearInterval(this.ping);
    this.res.end();
    this.gone.abort();
  }
}
