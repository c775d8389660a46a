import * as fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { CgroupSetup } from '../engine/cgroups';
import { nativeUnavailableReason } from '../engine/native';
import { WorkloadStore } from '../engine/workloads/store';
import { driverNames } from '../drivers';
import { ApiServer } from './api/server';
import { WorkloadManager } from './manager';

/** What `corral system` needs from the agent. */
export interface SystemDeps {
  manager: WorkloadManager;
  store: WorkloadStore;
  cgroups: CgroupSetup;
  dataRoot: string;
  cgroupParent: string;
  holder: string | undefined;
  metricsAddr: string;
  /** Where the web view listens (host:port), or 'off'. */
  webAddr?: string;
  /** The agent's host identity (`--hostname`). */
  hostname?: string;
}

const PACKAGE = path.join(__dirname, '..', '..', 'package.json');

export function corralVersion(): string {
  return (JSON.parse(fs.readFileSync(PACKAGE, 'utf8')) as { version: string }).version;
}

function osName(): string {
  try { return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type(); } catch { return os.type(); }
}

/** CAP_SYS_RESOURCE (bit 24 of CapEff): needed for pipes beyond pipe-max-size. */
function hasSysResource(): boolean {
  try { return (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`) >> 24n & 1n) === 1n; } catch { return false; }
}

/** `corral system info`: versions, cgroups, drivers, and what is not available here and why. */
export function systemInfo(d: SystemDeps) {
  const { detection, backend } = d.cgroups;
  const workloads = d.manager.list();
  const unavailable: string[] = [];
  if (backend.version === null) unavailable.push(`resource limits: ${backend.reason ?? 'no usable cgroups'}`);
  for (const c of detection.controllers) if (!c.writable) unavailable.push(`cgroup controller ${c.name}: not writable (${c.dir})`);
  if (!d.holder) unavailable.push('live restore: the workload holder is not built (no C compiler when npm ci ran); workloads end with the agent');
  const nativeWhy = nativeUnavailableReason();
  if (nativeWhy) unavailable.push(`native addon: ${nativeWhy}`);
  if (!hasSysResource()) unavailable.push('pipes beyond /proc/sys/fs/pipe-max-size: the agent lacks CAP_SYS_RESOURCE (live restore buffers 1 MiB per stream instead of 8 MiB)');
  if (nativeWhy) unavailable.push("syslog-address unixgram:// (and a datagram /dev/log): needs the native addon");
  return {
    Version: corralVersion(),
    Node: process.version,
    Kernel: os.release(),
    OperatingSystem: osName(),
    Hostname: d.hostname ?? os.hostname(),
    CPUs: os.availableParallelism(),
    MemTotal: os.totalmem(),
    DataRoot: d.dataRoot,
    AgentPid: process.pid,
    Workloads: workloads.length,
    WorkloadsRunning: workloads.filter((w) => w.running).length,
    WorkloadsStopped: workloads.filter((w) => !w.running).length,
    Cgroup: {
      Version: backend.version,
      Mode: detection.mode,
      Parent: d.cgroupParent,
      Controllers: detection.controllers.map((c) => ({ Name: c.name, Dir: c.dir, Writable: c.writable })),
    },
    LogDrivers: driverNames().split(', '),
    LiveRestore: d.holder !== undefined,
    NativeAddon: nativeWhy === undefined,
    MetricsAddr: d.metricsAddr,
    WebAddr: d.webAddr ?? 'off',
    Unavailable: unavailable,
  };
}

/** Bytes and files of a workload's logs (its json-file log or local cache, rotated ones included). */
function logUsage(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  let names: string[] = [];
  try { names = fs.readdirSync(dir); } catch { return { bytes, files }; }
  for (const n of names) {
    if (!/-json\.log(\.\d+(\.gz)?)?$/.test(n)) continue;
    try { bytes += fs.statSync(path.join(dir, n)).size; files++; } catch { /* rotated away meanwhile */ }
  }
  return { bytes, files };
}

/** A spool a removed workload left with unsent lines (`system df -v` lists them by path). */
export interface LeftoverSpool { Path: string; Id: string; Driver: string; Bytes: number }

/**
 * `corral system df`: log disk use per workload (its log files, and its log spools' files), the
 * spools removed workloads left with unsent lines, and what prune would reclaim.
 */
export function diskUsage(d: SystemDeps) {
  const spools = d.manager.spoolUsage();
  const spoolBytesOf = (id: string) => spools.filter((s) => s.id === id).reduce((n, s) => n + s.bytes, 0);
  const rows = d.manager.list().map((w) => {
    const u = logUsage(d.store.dirOf(w.spec.id));
    return { Id: w.spec.id, Name: w.spec.name, State: w.state.status, LogBytes: u.bytes, LogFiles: u.files, SpoolBytes: spoolBytesOf(w.spec.id) };
  });
  const live = new Set(rows.map((r) => r.Id));
  const left: LeftoverSpool[] = spools.filter((s) => !live.has(s.id) && s.hasData).map((s) => ({ Path: s.dir, Id: s.id, Driver: s.driver, Bytes: s.bytes }));
  return {
    Workloads: rows,
    TotalBytes: rows.reduce((n, r) => n + r.LogBytes, 0),
    ReclaimableBytes: rows.filter((r) => r.State !== 'running' && r.State !== 'restarting').reduce((n, r) => n + r.LogBytes, 0),
    /** Bytes in the spools of the workloads above. */
    SpoolBytes: rows.reduce((n, r) => n + r.SpoolBytes, 0),
    /** Spools of removed workloads still holding unsent lines: `prune` leaves them, `prune --spools` deletes them. */
    LeftoverSpools: { Count: left.length, Bytes: left.reduce((n, s) => n + s.Bytes, 0), Spools: left },
  };
}

/** One workload prune removed: which, and how far it has got (`system prune`'s progress). */
export interface PruneStep { Removed: string; Done: number; Of: number; ReclaimedBytes: number }

/** What prune did about the spools removed workloads left with unsent lines. */
export interface PrunedSpools {
  /** Deleted (`--spools`): their folders; their bytes are part of ReclaimedBytes. */
  Removed: string[];
  RemovedBytes: number;
  /** Left in place (no `--spools`): still sent whenever their servers answer. */
  Left: number;
  LeftBytes: number;
}

/**
 * `corral system prune`: removes every workload that is not running (Docker's container prune).
 * A removed workload's spool keeps its unsent lines (they are sent when the server answers, by
 * this agent or the next): prune deletes them only when asked (`spools`), and says what it left.
 */
export async function prune(d: SystemDeps, step?: (s: PruneStep) => Promise<void>, o: { spools?: boolean } = {}): Promise<{ Deleted: string[]; ReclaimedBytes: number; Spools: PrunedSpools }> {
  const Deleted: string[] = [];
  let ReclaimedBytes = 0;
  const stopped = d.manager.list().filter((w) => !w.running && w.state.status !== 'restarting');
  for (const w of stopped) {
    const u = logUsage(d.store.dirOf(w.spec.id));
    await d.manager.remove(w, false);
    Deleted.push(w.spec.id);
    ReclaimedBytes += u.bytes;
    await step?.({ Removed: w.spec.id, Done: Deleted.length, Of: stopped.length, ReclaimedBytes });
  }
  const Spools: PrunedSpools = { Removed: [], RemovedBytes: 0, Left: 0, LeftBytes: 0 };
  if (o.spools) {
    const r = await d.manager.removeLeftoverSpools();
    Object.assign(Spools, { Removed: r.dirs, RemovedBytes: r.bytes });
    ReclaimedBytes += r.bytes;
  } else {
    const left = diskUsage(d).LeftoverSpools;
    Object.assign(Spools, { Left: left.Count, LeftBytes: left.Bytes });
  }
  return { Deleted, ReclaimedBytes, Spools };
}

/** `POST /system/prune?progress=1`: NDJSON, a PruneStep per workload removed, then the result. */
async function pruneStreamed(res: ServerResponse, d: SystemDeps, o: { spools: boolean }): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const line = (v: unknown) => new Promise<void>((resolve) => res.write(`${JSON.stringify(v)}\n`, () => resolve()));
  await line(await prune(d, line, o));
  res.end();
}

export function registerSystemRoutes(api: ApiServer, d: SystemDeps): void {
  api
    .route('GET', /^\/system\/info$/, async () => systemInfo(d))
    .route('GET', /^\/system\/df$/, async () => diskUsage(d))
    .route('POST', /^\/system\/prune$/, async (_req, res, { query }) => {
      const o = { spools: query.get('spools') === '1' };
      return query.get('progress') === '1' ? pruneStreamed(res, d, o) : prune(d, undefined, o);
    });
}
