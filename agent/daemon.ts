import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCgroups } from '../engine/cgroups';
import { IntervalSampler } from '../engine/sampler';
import { MetricsExporter } from './metrics/exporter';
import { serveMetrics } from './metrics/server';
import { WallClock } from '../engine/logs/clock';
import { WorkloadStore } from '../engine/workloads/store';
import { findHolder } from '../engine/workloads/holder';
import { ApiServer } from './api/server';
import { EventLog } from './events';
import { WorkloadManager } from './manager';
import { registerRoutes } from './routes';
import { NO_WATCH, Watcher, WatchOptions } from './watch';
import { registerWatchRoutes } from './watch/routes';
import { corralVersion, registerSystemRoutes } from './system';
import { applySocketGroup, DEFAULT_SOCKET_GROUP } from './api/socketgroup';
import { redactText, redactValues } from './redact';
import { closeInheritedFds } from './inheritedfds';
import { SampleHistory, HISTORY_SECONDS } from './web/history';
import { RowsFeed } from './web/feed';
import { WebServer } from './web/server';
import { WebAddr, authority, isLoopback } from './web/options';

export interface AgentOptions {
  dataRoot: string;
  /** The cgroup (in every hierarchy) under which workloads get theirs; nothing outside it is touched. */
  cgroupParent: string;
  /** Where /metrics listens; null for nowhere. */
  metricsAddr: { host: string; port: number } | null;
  /** On stop, leave workloads running for the next agent to adopt (dockerd's live-restore). */
  liveRestore?: boolean;
  /** The group that may use the API socket (default corral). */
  socketGroup?: string;
  /** Workloads corral did not start, shown read-only (agent/watch). */
  watch?: WatchOptions;
  /** This host's name in metrics, events and log records (default os.hostname()): stable across a fleet. */
  hostname?: string;
  /** The web view (`--web-addr`); absent for none. */
  web?: { addr: WebAddr; token?: string; allowControl: boolean; root?: string };
}

/** How often the sampler reads every cgroup. */
const SAMPLE_INTERVAL_MS = 1000;

/** Prints at most `perSecond` lines a second and counts the rest, so a failing driver can't flood the log. */
function rateLimited(perSecond: number): (text: string) => void {
  let windowStart = 0;
  let used = 0;
  let suppressed = 0;
  return (text) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (suppressed) console.error(`${new Date().toISOString()} (${suppressed} more messages suppressed)`);
      windowStart = now; used = 0; suppressed = 0;
    }
    if (used++ < perSecond) console.error(`${new Date().toISOString()} ${text}`);
    else suppressed++;
  };
}

/**
 * The composition root: builds the store, the workload manager and the API, restores
 * what the data root holds, and restarts the workloads whose policy says so.
 */
export async function runAgent(o: AgentOptions): Promise<{ stop(): Promise<void> }> {
  fs.mkdirSync(o.dataRoot, { recursive: true, mode: 0o711 });
  const pidFile = path.join(o.dataRoot, 'agent.pid');
  const socket = path.join(o.dataRoot, 'corral.sock');
  const hostname = o.hostname || os.hostname();
  // The agent's own log never shows a secret, whatever a driver's error message echoes.
  const logRaw = rateLimited(50);
  const log = (text: string) => logRaw(redactText(text));
  const inherited = closeInheritedFds(); // else every workload would get them too
  if (inherited.length) log(`closed inherited file descriptors ${inherited.join(' ')}`);
  const clock = new WallClock();
  const store = new WorkloadStore(path.join(o.dataRoot, 'containers'));
  const cgroups = openCgroups({ parent: o.cgroupParent });
  if (cgroups.backend.version === null) log(`no cgroups: workloads run without limits (${cgroups.backend.reason})`);
  const events = new EventLog();
  const holder = findHolder();
  const manager = new WorkloadManager({
    store, clock, cgroups, warn: log,
    holder, hostname,
    event: (w, action, attrs) => {
      events.emit(action, w.spec.id, { ...redactValues(w.spec.labels), ...attrs, name: w.spec.name, host: hostname }, clock.nowNs());
      log(`workload ${action} ${w.spec.name} ${w.spec.id.slice(0, 12)}${attrs ? ' ' + JSON.stringify(attrs) : ''}`);
    },
  });
  const restored = await manager.restore();
  // Cgroups left by an agent that died, other than those of adopted workloads, are leftovers
  // (restore() just killed their orphans, which may take a moment to exit).
  const keep = restored.filter((w) => w.running).map((w) => w.spec.id);
  let left = await cgroups.backend.cleanupLeftovers(keep);
  for (let i = 0; i < 25 && left.busy.length; i++) {
    await new Promise((r) => setTimeout(r, 200));
    left = await cgroups.backend.cleanupLeftovers(keep);
  }
  if (left.removed.length || left.busy.length) log(`cgroup leftovers: removed ${left.removed.length}, still busy: ${left.busy.join(' ') || 'none'}`);
  const watcher = new Watcher(o.watch ?? NO_WATCH, cgroups.detection, log, (action, id, attrs) => events.emit(action, id, { ...attrs, host: hostname }, clock.nowNs()));
  await watcher.start();
  const sampler = new IntervalSampler(() => [...manager.list(), ...watcher.list()], clock, SAMPLE_INTERVAL_MS);
  const metrics = o.metricsAddr ? await serveMetrics(new MetricsExporter(sampler, hostname), o.metricsAddr) : undefined;
  if (o.metricsAddr) log(`metrics on http://${o.metricsAddr.host}:${o.metricsAddr.port}/metrics`);
  // Filled from the start, so the page's graphs have the last 15 minutes as soon as it opens.
  const feed = o.web ? new RowsFeed(sampler, new SampleHistory(Math.ceil((HISTORY_SECONDS * 1000) / SAMPLE_INTERVAL_MS))) : undefined;
  let web: WebServer | undefined;
  if (o.web && feed) {
    web = new WebServer(o.web, {
      manager, watcher, events, sampler, feed, hostname, version: corralVersion(), intervalMs: SAMPLE_INTERVAL_MS, allowControl: o.web.allowControl,
    });
    await web.listen();
    log(`web view on http://${authority(web.addr)}/${o.web.allowControl ? ' (control buttons on)' : ''}`);
    if (!o.web.token && !isLoopback(o.web.addr.host)) log(`warning: the web view listens on ${o.web.addr.host}, not loopback, without a token: anyone who can reach it sees every workload and its logs (set --web-token-file)`);
  }
  const api = new ApiServer();
  registerWatchRoutes(api, watcher, manager);
  registerRoutes(api, manager, events, sampler);
  registerSystemRoutes(api, {
    manager, store, cgroups, dataRoot: o.dataRoot, cgroupParent: o.cgroupParent, holder, hostname,
    metricsAddr: o.metricsAddr ? `${o.metricsAddr.host}:${o.metricsAddr.port}` : 'off',
    webAddr: web ? authority(web.addr) : 'off', // the bound port, also for --web-addr HOST:0
  });
  await api.listen(socket);
  log(applySocketGroup(socket, o.socketGroup ?? DEFAULT_SOCKET_GROUP));
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  log(`corral agent ${process.pid} listening on ${socket}`);

  for (const w of restored) {
    const p = w.spec.restartPolicy.name;
    if (p === 'always' || (p === 'unless-stopped' && !w.state.stoppedByUser)) {
      w.start().catch((e) => log(`restarting ${w.spec.name} failed: ${(e as Error).message}`));
    }
  }

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    // The web view first: its streams (a log follow above all) end before the workloads are let go.
    feed?.stop();
    await web?.close();
    if (o.liveRestore) {
      log('stopping: leaving workloads running (live restore)');
      await manager.detachAll();
    } else {
      log('stopping: stopping workloads');
      await manager.stopAll(10);
    }
    sampler.stop();
    watcher.stop();
    metrics?.closeAllConnections();
    await new Promise((r) => (metrics ? metrics.close(r) : r(undefined)));
    await api.close();
    fs.rmSync(pidFile, { force: true });
    fs.rmSync(socket, { force: true });
  })());
  return { stop };
}
