import * as os from 'node:os';
import { cfsOf } from '../engine/cgroups/limits';
import { Snapshot, WorkloadSample } from '../engine/snapshot';

/** A snapshot as JSON (bigint time as a string); parseSnapshot reads it back. */
export function snapshotJson(s: Snapshot): string {
  return JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

export function parseSnapshot(rec: unknown): Snapshot {
  const s = rec as Snapshot & { time: string };
  return { ...s, time: BigInt(s.time) };
}

export interface StatsRow {
  id: string;
  name: string;
  /** corral, or where a watched (read-only) workload comes from: docker, systemd, cgroup. */
  source: string;
  state: string;
  /** Docker's CPU %: cpu delta / system delta x online CPUs x 100. */
  cpuPercent: number | null;
  /** Usage against the workload's own --cpus / quota; null without a CPU limit. */
  cpuOfLimitPercent: number | null;
  memUsage: number | null;
  memLimit: number;
  memPercent: number | null;
  blockRead: number;
  blockWrite: number;
  pids: number | null;
  /** Share of CFS periods in the interval that were throttled. */
  throttledPercent: number | null;
}

const delta = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : a - b);

/** One row per workload of `now`, with rates against `before` (Docker's `docker stats` formulas). */
export function statsRows(now: Snapshot, before: Snapshot | undefined): StatsRow[] {
  const prevById = new Map((before?.workloads ?? []).map((w) => [w.id, w]));
  const systemDelta = before ? now.systemCpuNs - before.systemCpuNs : 0;
  const wallNs = before ? Number(now.time - before.time) : 0;
  return now.workloads.map((w) => row(w, prevById.get(w.id), systemDelta, wallNs, now.onlineCpus));
}

function row(w: WorkloadSample, p: WorkloadSample | undefined, systemDelta: number, wallNs: number, cpus: number): StatsRow {
  const s = w.stats;
  const cpuDelta = delta(s?.cpu.usageNs, p?.stats?.cpu.usageNs);
  const { quota, period } = cfsOf(w.limits);
  const memLimit = w.limits.memory ?? os.totalmem();
  const periods = delta(s?.cpu.periods, p?.stats?.cpu.periods);
  const throttled = delta(s?.cpu.throttledPeriods, p?.stats?.cpu.throttledPeriods);
  const io = (s?.io.devices ?? []).reduce((t, d) => ({ r: t.r + d.readBytes, w: t.w + d.writeBytes }), { r: 0, w: 0 });
  return {
    id: w.id, name: w.name, source: w.source ?? 'corral', state: w.state,
    cpuPercent: cpuDelta !== null && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : null,
    cpuOfLimitPercent: cpuDelta !== null && wallNs > 0 && quota && period ? (cpuDelta / wallNs / (quota / period)) * 100 : null,
    memUsage: s?.memory.workingSet ?? null,
    memLimit,
    memPercent: s?.memory.workingSet != null ? (s.memory.workingSet / memLimit) * 100 : null,
    blockRead: io.r, blockWrite: io.w,
    pids: s?.pids.current ?? null,
    throttledPercent: periods && throttled !== null ? (throttled / periods) * 100 : null,
  };
}

/** Docker's units: binary for memory ("12.5MiB"), decimal for I/O ("1.2MB"), three significant digits. */
export function humanBytes(n: number, binary: boolean): string {
  const base = binary ? 1024 : 1000;
  const units = binary ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= base && i < units.length - 1) { n /= base; i++; }
  return `${Number(n.toPrecision(3))}${units[i]}`;
}
