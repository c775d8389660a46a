/** A Server-Sent Events client for tests of the agent's web view. */

export interface SseEvent { event: string; data: string }

/** Reads a Server-Sent Events response as it comes; waitFor() finds the next event that matches. */
export class SseReader {
  readonly events: SseEvent[] = [];
  private seen = 0;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private done = false;
  status = 0;
  headers: Headers | undefined;

  constructor(private readonly waitMs = 15_000) {}

  /** Opens url; a status other than 200 leaves the reader ended, with `status` set. */
  static async open(url: string, headers: Record<string, string> = {}, waitMs?: number): Promise<SseReader> {
    const r = new SseReader(waitMs);
    const res = await fetch(url, { headers, signal: r.abort.signal });
    r.status = res.status;
    r.headers = res.headers;
    if (res.status === 200) void r.pump(res); else { r.done = true; await res.text(); }
    return r;
  }

  private async pump(res: Response): Promise<void> {
    let text = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += Buffer.from(chunk).toString('utf8');
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) this.events.push({ event, data: data.join('\n') });
        }
        this.wake?.();
      }
    } catch { /* aborted by close() */ }
    this.done = true;
    this.wake?.();
  }

  /** The first event from the ones not yet looked at that matches; those before it are passed over. */
  async waitFor(what: string, match: (e: SseEvent) => boolean): Promise<SseEvent> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      while (this.seen < this.events.length) {
        const e = this.events[this.seen++]!;
        if (match(e)) return e;
      }
      if (this.done) throw new Error(`stream ended before ${what}; got ${JSON.stringify(this.events.slice(-5))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`gave up waiting for ${what}; got ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.wake = () => { clearTimeout(t); r(); }; });
      this.wake = undefined;
    }
  }

  get ended(): boolean { return this.done; }

  close(): void { this.abort.abort(); }
}
