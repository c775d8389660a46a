import type * as http from 'node:http';
import { Sampler } from '../../engine/snapshot';
import { ApiError, conflict } from '../errors';
import { AgentEvent, EventLog } from '../events';
import { WorkloadManager } from '../manager';
import { restartWorkload, stopTimeoutParam } from '../routes';
import { Watcher } from '../watch';
import { RowsFeed } from './feed';
import { HISTORY_SECONDS } from './history';
import { downloadLog, streamLogEvents, timeParam } from './logs';
import { SseStream } from './sse';
import { WorkloadFinder } from './workloads';

/** What the page's API reads from the agent. */
export interface WebApiDeps {
  manager: WorkloadManager;
  watcher: Watcher;
  events: EventLog;
  sampler: Sampler;
  feed: RowsFeed;
  hostname: string;
  version: string;
  intervalMs: number;
  allowControl: boolean;
}

export type Answer = { status: number; body?: unknown } | undefined;
type Params = { ref: string; query: URLSearchParams; req: http.IncomingMessage; res: http.ServerResponse };
export type ApiHandler = (p: Params) => Promise<Answer>;
export interface ApiRoute { method: string; pattern: RegExp; handler: ApiHandler }

/** Events kept for a page that reads slower than they come; past this the oldest go. */
const MAX_QUEUED_EVENTS = 1000;

const ok = (body: unknown): Answer => ({ status: 200, body });

/** The page's JSON and SSE endpoints under /api (see web/CONTRACT.md). */
export function apiRoutes(d: WebApiDeps): ApiRoute[] {
  const finder = new WorkloadFinder(d.manager, d.watcher);
  const on = (tail: string) => new RegExp(`^/api/workloads/([^/]+)/${tail}$`);
  const control = (act: (ref: string, t: number) => Promise<void>): ApiHandler => async ({ ref, query, req }) => {
    if (!d.allowControl) throw new ApiError(403, 'control is off: start the agent with --web-allow-control');
    // A cross-site form cannot set a header: this keeps other sites from driving the buttons.
    if (req.headers['x-corral-web'] !== '1') throw new ApiError(403, 'control requests need the header X-Corral-Web: 1');
    const t = stopTimeoutParam(query);
    await act(ref, t);
    return { status: 204 };
  };
  const own = (ref: string) => {
    const w = finder.find(ref);
    if (w.readOnly || !w.workload) throw conflict(`${w.name} is watched, not managed by corral (read-only)`);
    return w.workload;
  };

  return [
    { method: 'GET', pattern: /^\/api\/info$/, handler: async () => ok({
      host: d.hostname, version: d.version, control: d.allowControl, historySeconds: HISTORY_SECONDS, intervalMs: d.intervalMs,
    }) },
    { method: 'GET', pattern: /^\/api\/workloads$/, handler: async ({ res }) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(d.feed.current());
      return undefined;
    } },
    { method: 'GET', pattern: /^\/api\/stream$/, handler: async ({ res }) => { streamRowsAndEvents(res, d); return undefined; } },
    { method: 'GET', pattern: on('history'), handler: async ({ ref }) => {
      const w = finder.find(ref);
      const h = d.feed.history.get(w.id);
      return ok(h ?? { id: w.id, name: w.name, limits: { cpuPercent: null, memoryBytes: null, pids: null }, samples: [] });
    } },
    { method: 'GET', pattern: on('logs'), handler: async ({ ref, query, res }) => {
      await streamLogEvents(res, () => finder.find(ref), query);
      return undefined;
    } },
    { method: 'GET', pattern: on('logs/download'), handler: async ({ ref, query, req, res }) => {
      await downloadLog(req, res, finder.find(ref), query);
      return undefined;
    } },
    { method: 'GET', pattern: /^\/api\/events$/, handler: async ({ query }) => {
      const now = BigInt(Date.now()) * 1_000_000n;
      return ok({ events: d.events.history({ since: timeParam(query, 'since', now), until: timeParam(query, 'until', now), filters: {} }) });
    } },
    { method: 'POST', pattern: on('stop'), handler: control(async (ref, t) => { await own(ref).stop(t); }) },
    { method: 'POST', pattern: on('restart'), handler: control(async (ref, t) => restartWorkload(own(ref), t)) },
  ];
}

/**
 * `rows` after every sampler tick and each agent event as `agent-event`. A slow page gets the
 * latest rows only (older frames are dropped, not queued) and at most MAX_QUEUED_EVENTS events.
 */
function streamRowsAndEvents(res: http.ServerResponse, d: WebApiDeps): void {
  const sse = new SseStream(res);
  let rows: string | undefined;
  const events: AgentEvent[] = [];
  const flush = () => {
    while (events.length && !sse.congested) sse.send('agent-event', events.shift());
    if (rows !== undefined && !sse.congested) { sse.send('rows', rows); rows = undefined; }
  };
  sse.onDrain(flush);
  const offRows = d.feed.subscribe((json) => { rows = json; flush(); });
  const offEvents = d.events.subscribe((e) => {
    events.push(e);
    if (events.length > MAX_QUEUED_EVENTS) events.shift();
    flush();
  });
  sse.signal.addEventListener('abort', () => { offRows(); offEvents(); }, { once: true });
  sse.send('rows', d.feed.current());
}
