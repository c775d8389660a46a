import { once } from 'node:events';
import * as http from 'node:http';
import { toHostConfig } from '../engine/cgroups';
import { Sampler, Snapshot } from '../engine/snapshot';
import { snapshotJson } from './stats';
import { LogReader, ReadOptions } from '../engine/logs/reader';
import { Workload } from '../engine/workloads/supervisor';
import { MAX_STOP_TIMEOUT_SEC, STOP_TIMEOUT_RANGE } from '../engine/workloads/stoptimeout';
import { ApiServer } from './api/server';
import { createRequestOf, updateResourcesOf } from './api/requests';
import { encodeMessage } from './api/logwire';
import { badRequest } from './errors';
import { AgentEvent, EventLog, FILTER_KEYS, matches } from './events';
import { inspectWorkload } from './inspect';
import { readerFor } from './logs';
import { WorkloadManager } from './manager';
import { responseTap } from './streamtap';

const REF = /^\/workloads\/([^/]+)$/;
const on = (action: string) => new RegExp(`^/workloads/([^/]+)/${action}$`);

export interface IntRange { min: number; max: number; /** What the range means, for the error; default "a whole number from min to max". */ expected?: string }

const ANY_INT: IntRange = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };

/** A whole-number query parameter within range (default: any exact integer); 400 naming the parameter otherwise. */
export function intParam(q: URLSearchParams, key: string, dflt?: number, range: IntRange = ANY_INT): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw badRequest(`invalid value "${v}" for ${key}: expected ${range.expected ?? `a whole number from ${range.min} to ${range.max}`}`);
  }
  return n;
}

/** `tail` of a log read: a number of lines, `all` (or absent, or negative) for every line. */
export function tailParam(q: URLSearchParams): number | undefined {
  if (q.get('tail') === 'all') return undefined;
  const n = intParam(q, 'tail');
  return n === undefined || n < 0 ? undefined : n;
}

/** `t` of stop/restart: seconds before SIGKILL (default 10), -1 for none; 400 beyond what a timer holds. */
export function stopTimeoutParam(q: URLSearchParams): number {
  return intParam(q, 't', 10, { min: -1, max: MAX_STOP_TIMEOUT_SEC, expected: STOP_TIMEOUT_RANGE })!;
}

function nsParam(q: URLSearchParams, key: string): bigint | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value "${v}" for ${key}: expected nanoseconds since the epoch`);
  return BigInt(v);
}

/** Writes and, when the socket is full, waits for it to drain (or close). */
export async function write(res: http.ServerResponse, text: string): Promise<void> {
  if (res.write(text)) return;
  // Whichever comes first; the other listener is removed so a long stream doesn't pile them up.
  const done = new AbortController();
  await Promise.race([once(res, 'drain', { signal: done.signal }), once(res, 'close', { signal: done.signal })]).catch(() => undefined);
  done.abort();
}

/** The agent's HTTP API: one route per verb of the CLI. */
export function registerRoutes(api: ApiServer, m: WorkloadManager, events: EventLog, sampler: Sampler): void {
  // Secrets masked unless the caller asked otherwise (`--no-redact`: redact=0).
  const view = (ref: string, q: URLSearchParams) => { const w = m.get(ref); return inspectWorkload(w, m.logPath(w), q.get('redact') !== '0'); };

  api
    .route('GET', /^\/_ping$/, async () => ({ ok: true, pid: process.pid }))
    .route('GET', /^\/workloads$/, async (_q, _r, { query }) =>
      m.list().filter((w) => query.get('all') === '1' || w.running || w.state.status === 'restarting').map((w) => inspectWorkload(w, m.logPath(w), query.get('redact') !== '0')))
    .route('POST', /^\/workloads$/, async (_q, _r, { body, query }) => {
      const req = createRequestOf(body);
      if (query.get('dryRun') === '1') {
        // The limits as inspect's HostConfig would show them: `up` compares them with the running ones.
        const { spec, warnings } = m.check(req);
        return { Warnings: warnings, HostConfig: toHostConfig(spec.limits) };
      }
      const { workload, warnings } = await m.create(req);
      return { Id: workload.spec.id, Warnings: warnings };
    })
    .route('POST', on('update'), async (_q, _r, { ref, body }) => {
      const warnings = await m.update(m.get(ref), updateResourcesOf(body));
      return { Warnings: warnings };
    })
    .route('GET', REF, async (_q, _r, { ref, query }) => view(ref, query))
    .route('DELETE', REF, async (_q, _r, { ref, query }) => { await m.remove(m.get(ref), query.get('force') === '1'); return {}; })
    .route('POST', on('start'), async (req, res, { ref, query }) => {
      const w = m.get(ref);
      if (query.get('attach') !== '1') { await w.start(); return {}; }
      // Attached: the tap is in place before the process exists, so no line is missed.
      const tap = responseTap(res);
      const detach = w.attach(tap);
      req.once('close', detach);
      try {
        await w.start();
      } catch (e) {
        detach();
        throw e;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const code = await w.wait();
      await w.runEnded();
      res.end(JSON.stringify({ exit: code }) + '\n');
      return undefined;
    })
    .route('POST', on('stop'), async (_q, _r, { ref, query }) => { await m.get(ref).stop(stopTimeoutParam(query)); return {}; })
    .route('POST', on('restart'), async (_q, _r, { ref, query }) => { await restartWorkload(m.get(ref), stopTimeoutParam(query)); return {}; })
    .route('POST', on('kill'), async (_q, _r, { ref, query }) => {
      const sig = query.get('signal') || 'SIGKILL';
      const signal = /^\d+$/.test(sig) ? Number(sig) : (sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`);
      try {
        m.get(ref).kill(signal as NodeJS.Signals);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_UNKNOWN_SIGNAL' || (e as NodeJS.ErrnoException).code === 'EINVAL') throw badRequest(`invalid signal: ${sig}`);
        if (/not running/.test((e as Error).message)) throw badRequest((e as Error).message);
        throw e;
      }
      return {};
    })
    .route('POST', on('wait'), async (_q, _r, { ref }) => {
      const w = m.get(ref);
      const code = await w.wait();
      return { StatusCode: code };
    })
    .route('GET', /^\/events$/, async (req, res, { query }) => {
      let filters: Record<string, string[]> = {};
      try { filters = JSON.parse(query.get('filters') || '{}'); } catch { throw badRequest('invalid filters: expected JSON like {"event":["die"]}'); }
      const lists = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
      if (typeof filters !== 'object' || filters === null || Array.isArray(filters) || !Object.values(filters).every(lists)) {
        throw badRequest('invalid filters: expected JSON like {"event":["die"]} (each key a list of texts)');
      }
      for (const k of Object.keys(filters)) if (!FILTER_KEYS.includes(k)) throw badRequest(`invalid filter '${k}' (accepted: ${FILTER_KEYS.join(', ')})`);
      // An empty value matches nothing, for every key: a typo (host=$UNSET) that would wait forever.
      for (const [k, vs] of Object.entries(filters)) if (vs.includes('')) throw badRequest(`invalid filter '${k}=': the value is empty (expected ${k}=VALUE)`);
      const f = { since: nsParam(query, 'since'), until: nsParam(query, 'until'), filters };
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const live: AgentEvent[] = [];
      let wake: (() => void) | undefined;
      const off = events.subscribe((e) => { live.push(e); wake?.(); });
      let gone = false;
      req.once('close', () => { gone = true; wake?.(); });
      for (const e of events.history(f)) await write(res, JSON.stringify(e) + '\n');
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const untilTimer = f.until !== undefined ? setTimeout(() => { gone = true; wake?.(); }, Math.max(0, Number((f.until - nowNs) / 1_000_000n))) : undefined;
      while (!gone) {
        if (!live.length) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        for (const e of live.splice(0)) if (matches(e, { ...f, since: undefined })) await write(res, JSON.stringify(e) + '\n');
      }
      clearTimeout(untilTimer);
      off();
      res.end();
      return undefined;
    })
    .route('GET', /^\/stats$/, async (req, res, { query }) => {
      // NDJSON snapshots: the last two at once (rates need two), then every new one with stream=1.
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (const s of [sampler.previous(), sampler.latest()]) if (s) await write(res, snapshotJson(s) + '\n');
      if (query.get('stream') !== '1') { res.end(); return undefined; }
      const queue: Snapshot[] = [];
      let wake: (() => void) | undefined;
      const off = sampler.subscribe((s) => { queue.push(s); wake?.(); });
      let gone = false;
      req.once('close', () => { gone = true; wake?.(); });
      while (!gone) {
        if (!queue.length) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        for (const s of queue.splice(0)) await write(res, snapshotJson(s) + '\n');
      }
      off();
      res.end();
      return undefined;
    })
    .route('GET', on('logs'), async (req, res, { ref, query }) => {
      const w = m.get(ref);
      const { reader, live } = readerFor(w, m.logPath(w));
      return streamLog(req, res, query, reader, live);
    });
}

/** Workloads between the stop and the start of a restart: a log follow waits for them instead of ending. */
export const restartsUnderWay = new WeakSet<Workload>();

/** `restart`: stop (SIGKILL after timeoutSec), wait for the run to end, start again. */
export async function restartWorkload(w: Workload, timeoutSec: number): Promise<void> {
  restartsUnderWay.add(w);
  try {
    await w.stop(timeoutSec);
    await w.runEnded();
    await w.start();
  } finally {
    restartsUnderWay.delete(w);
  }
}

/** A log as NDJSON records, with tail/since/until/follow from the query; follows only a `live` one. */
export async function streamLog(req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams, reader: LogReader, live: boolean): Promise<undefined> {
  const o: ReadOptions = {
    tail: tailParam(query),
    since: nsParam(query, 'since'),
    until: nsParam(query, 'until'),
    follow: query.get('follow') === '1' && live,
  };
  const abort = new AbortController();
  req.once('close', () => abort.abort());
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const warnings: string[] = [];
  for await (const msg of reader.read(o, abort.signal, (wrn) => warnings.push(JSON.stringify({ w: wrn.text, n: wrn.count }) + '\n'))) {
    if (warnings.length) await write(res, warnings.splice(0).join(''));
    await write(res, encodeMessage(msg));
  }
  res.end(warnings.join(''));
  return undefined;
}
