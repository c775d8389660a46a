import type * as http from 'node:http';
import { LogMessage, endsLine } from '../../engine/logs/message';
import { ReadOptions } from '../../engine/logs/reader';
import { sleep } from '../../engine/logs/backoff';
import { parseTimeArg } from '../../engine/logs/timearg';
import { formatRFC3339Nano } from '../../engine/logs/timefmt';
import { badRequest } from '../errors';
import { tailParam, write } from '../routes';
import { SseStream } from './sse';
import { Named } from './workloads';

export interface LogLine { t: string; stream: 'stdout' | 'stderr'; line: string; partial: boolean }

export const lineOf = (m: LogMessage): LogLine => ({
  t: formatRFC3339Nano(m.time), stream: m.stream, line: m.line.toString('utf8'), partial: !endsLine(m),
});

/** A since/until query parameter as `corral logs --since` takes it (10m, RFC 3339, Unix seconds); 400 when malformed. */
export function timeParam(q: URLSearchParams, key: string, nowNs: bigint): bigint | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  try {
    return parseTimeArg(v, nowNs, key);
  } catch (e) {
    throw badRequest((e as Error).message.replace(`for --${key}:`, `for ${key}:`));
  }
}

/** `tail`, `since`, `until` as `corral logs` takes them (since/until: 10m, RFC 3339 or Unix seconds). */
export function readOptionsOf(q: URLSearchParams, nowNs: bigint): Omit<ReadOptions, 'follow'> {
  const time = (key: string) => timeParam(q, key, nowNs);
  return { tail: tailParam(q), since: time('since'), until: time('until') };
}

/** Lines that come within this window go out as one `lines` event. */
const BATCH_MS = 50;
/** ... and at most this many per event, so one event stays small for the page to take. */
const BATCH_MAX = 500;
/** How often a follow looks whether a stopped workload runs again. */
const REVIVE_MS = 500;

/** Collects lines and sends them as `line` (one) or `lines` (several) at most BATCH_MS late. */
class Batcher {
  private pending: LogLine[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sse: SseStream) {}

  add(l: LogLine): void {
    this.pending.push(l);
    if (this.pending.length >= BATCH_MAX) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const out = this.pending;
    if (!out.length) return;
    this.pending = [];
    this.sse.send(out.length === 1 ? 'line' : 'lines', out.length === 1 ? out[0] : out);
  }
}

/**
 * A workload's log as SSE. With follow it goes on across restarts (waiting for the workload to
 * run again, then reading from after the last line sent) until the client closes, or until the
 * workload has exited for good (its restart policy won't start it again) or was removed: then
 * `end`, as `corral logs -f` ends. A workload that runs on without a live log (the agent let go
 * of it: live restore) is looked at again every REVIVE_MS, never re-read in a loop.
 * Back-pressure: while the socket is full no more is read, so a slow page costs no memory.
 */
export async function streamLogEvents(res: http.ServerResponse, target: () => Named, q: URLSearchParams): Promise<void> {
  const first = target();
  const opts = readOptionsOf(q, BigInt(Date.now()) * 1_000_000n);
  const follow = q.get('follow') === '1';
  let { reader, live } = first.log(); // a 404/501 still answers as JSON: nothing is written yet
  const sse = new SseStream(res);
  const batch = new Batcher(sse);
  const signal = sse.signal;
  let o: ReadOptions = { ...opts, follow: follow && live };
  const warn = (w: { text: string; count?: number }) => sse.send('warning', { text: w.text, count: w.count ?? null });
  try {
    for (;;) {
      let last: bigint | undefined;
      for await (const m of reader.read(o, signal, warn)) {
        batch.add(lineOf(m));
        last = m.time;
        if (sse.congested) { batch.flush(); await sse.drained(); }
      }
      batch.flush();
      if (!follow || signal.aborted || o.until !== undefined) break;
      // The run ended (or its log stopped being live): wait for a live log and carry on after what was sent.
      const since = last !== undefined ? last + 1n : BigInt(Date.now()) * 1_000_000n;
      // Looked at after a pause, never at once: a log that stopped being live while the workload
      // runs on (live restore lets go of it) would else be read again and again, never yielding.
      let next: Named | undefined;
      while (!signal.aborted) {
        await sleep(REVIVE_MS, signal);
        if (signal.aborted) break;
        try { next = target(); } catch { next = undefined; break; } // removed: nothing more to follow
        if (next.running()) {
          ({ reader, live } = next.log());
          if (live) break;
        } else if (next.ended()) {
          next = undefined; // exited for good: nothing more to follow
          break;
        }
      }
      if (!next || signal.aborted) break;
      o = { since: o.since !== undefined && o.since > since ? o.since : since, follow: true };
    }
  } catch (e) {
    batch.flush();
    sse.send('warning', { text: (e as Error).message, count: null });
  }
  if (!signal.aborted) {
    sse.send('end', {});
    sse.end();
  }
}

/**
 * The download: `<RFC3339Nano> <stream> <line>\n` per line, only those containing `q` if given,
 * ignoring case as the page's search does.
 */
export async function downloadLog(req: http.IncomingMessage, res: http.ServerResponse, target: Named, q: URLSearchParams): Promise<void> {
  const opts = readOptionsOf(q, BigInt(Date.now()) * 1_000_000n);
  const needle = (q.get('q') ?? '').toLowerCase();
  const { reader } = target.log();
  const abort = new AbortController();
  req.once('close', () => abort.abort());
  const file = `${target.name.replace(/[^A-Za-z0-9._-]+/g, '_')}-logs.txt`;
  res.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'content-disposition': `attachment; filename="${file}"`,
    'cache-control': 'no-cache',
  });
  let chunk = '';
  for await (const m of reader.read({ ...opts, follow: false }, abort.signal)) {
    const text = m.line.toString('utf8');
    if (needle && !text.toLowerCase().includes(needle)) continue;
    chunk += `${formatRFC3339Nano(m.time)} ${m.stream} ${text}\n`;
    if (chunk.length >= 64 * 1024) { await write(res, chunk); chunk = ''; }
  }
  res.end(chunk);
}
