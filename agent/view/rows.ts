import { Snapshot } from '../../engine/snapshot';
import { Limits, cfsOf } from '../../engine/cgroups/limits';
import { StatsRow, humanBytes, statsRows } from '../stats';

/** What `corral top` shows of one workload: `corral stats`' row plus rates and lifecycle counters. */
export interface TopRow extends StatsRow {
  restarts: number;
  oomKills: number;
  /** Seconds since the current run started; null when not running. */
  uptime: number | null;
  pidsLimit: number | null;
  /** Block I/O bytes per second over the last interval. */
  readRate: number | null;
  writeRate: number | null;
  limits: Readonly<Limits>;
}

export function topRows(now: Snapshot, before: Snapshot | undefined): TopRow[] {
  const byId = new Map(now.workloads.map((w) => [w.id, w]));
  const prevRows = new Map(before ? statsRows(before, undefined).map((r) => [r.id, r]) : []);
  const wallS = before ? Number(now.time - before.time) / 1e9 : 0;
  const nowS = Number(now.time / 1_000_000n) / 1000;
  const rate = (a: number, b: number | undefined) => (b === undefined || wallS <= 0 ? null : Math.max(0, a - b) / wallS);
  return statsRows(now, before).map((r) => {
    const w = byId.get(r.id)!;
    const p = prevRows.get(r.id);
    const live = w.state === 'running' && w.stats !== null;
    return {
      ...r,
      restarts: w.restartCount,
      oomKills: w.oomKillCount,
      uptime: w.state === 'running' && w.startedAt > 0 ? Math.max(0, nowS - w.startedAt) : null,
      pidsLimit: w.limits.pidsLimit,
      readRate: live ? rate(r.blockRead, p?.blockRead) : null,
      writeRate: live ? rate(r.blockWrite, p?.blockWrite) : null,
      limits: w.limits,
    };
  });
}

/** The sortable columns; the key a user presses to sort by each is in SORT_KEYS. */
export type SortKey = 'name' | 'state' | 'cpu' | 'cpuLimit' | 'mem' | 'throttled' | 'io' | 'pids' | 'restarts' | 'oom' | 'uptime';

export const SORT_KEYS: ReadonlyArray<{ key: string; sort: SortKey; label: string }> = [
  { key: 'n', sort: 'name', label: 'name' },
  { key: 'S', sort: 'state', label: 'state' },
  { key: 'c', sort: 'cpu', label: 'cpu' },
  { key: 'l', sort: 'cpuLimit', label: 'cpu/limit' },
  { key: 'm', sort: 'mem', label: 'mem' },
  { key: 't', sort: 'throttled', label: 'throttled' },
  { key: 'i', sort: 'io', label: 'io' },
  { key: 'p', sort: 'pids', label: 'pids' },
  { key: 'R', sort: 'restarts', label: 'restarts' },
  { key: 'o', sort: 'oom', label: 'oom' },
  { key: 'u', sort: 'uptime', label: 'uptime' },
];

function sortValue(r: TopRow, k: SortKey): number | string {
  switch (k) {
    case 'name': return r.name;
    case 'state': return r.state;
    case 'cpu': return r.cpuPercent ?? -1;
    case 'cpuLimit': return r.cpuOfLimitPercent ?? -1;
    case 'mem': return r.memUsage ?? -1;
    case 'throttled': return r.throttledPercent ?? -1;
    case 'io': return (r.readRate ?? 0) + (r.writeRate ?? 0);
    case 'pids': return r.pids ?? -1;
    case 'restarts': return r.restarts;
    case 'oom': return r.oomKills;
    case 'uptime': return r.uptime ?? -1;
  }
}

/** Sorted copy; ties keep name order so rows don't jump between refreshes. */
export function sortRows(rows: TopRow[], by: SortKey, desc: boolean): TopRow[] {
  return [...rows].sort((a, b) => {
    const x = sortValue(a, by);
    const y = sortValue(b, by);
    const c = typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number);
    return (desc ? -c : c) || a.name.localeCompare(b.name);
  });
}

/** Running (and restarting) workloads unless `all`; names containing `filter`. */
export function visibleRows(rows: TopRow[], filter: string, all: boolean): TopRow[] {
  return rows.filter((r) => (all || r.state === 'running' || r.state === 'restarting') && r.name.includes(filter));
}

// ---- text ----

const pct = (v: number | null) => (v === null ? '--' : `${v.toFixed(1)}%`);
const count = (v: number | null) => (v === null ? '--' : String(v));
const rateText = (v: number | null) => (v === null ? '--' : humanBytes(v, false));

/** "2d03h", "4h05m", "12m30s", "45s". */
export function shortDuration(seconds: number | null): string {
  if (seconds === null) return '--';
  const s = Math.floor(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** A fixed-width bar of how full `used` is of `limit`. */
export function bar(used: number | null, limit: number, width: number): string {
  if (used === null || limit <= 0) return ' '.repeat(width);
  const n = Math.min(width, Math.round((used / limit) * width));
  return '█'.repeat(n) + '░'.repeat(width - n);
}

const TICKS = '▁▂▃▄▅▆▇█';

/** The last `width` values as a sparkline scaled to `max` (or the largest value); gaps are spaces. */
export function sparkline(values: ReadonlyArray<number | null>, width: number, max?: number): string {
  const tail = values.slice(-width);
  const top = max ?? Math.max(0, ...tail.map((v) => v ?? 0));
  const line = tail.map((v) => {
    if (v === null) return ' ';
    if (top <= 0) return TICKS[0];
    return TICKS[Math.max(0, Math.min(TICKS.length - 1, Math.round((v / top) * (TICKS.length - 1))))];
  }).join('');
  return line.padStart(width);
}

interface Column {
  title: string;
  width: number;
  /** Lower goes first when the terminal is too narrow. */
  priority: number;
  right?: boolean;
  text(r: TopRow): string;
}

const MIN_NAME = 10;

const COLUMNS: Column[] = [
  { title: 'STATE', width: 10, priority: 9, text: (r) => r.state },
  { title: 'CPU%', width: 6, priority: 10, right: true, text: (r) => pct(r.cpuPercent) },
  { title: 'CPU%LIM', width: 7, priority: 8, right: true, text: (r) => pct(r.cpuOfLimitPercent) },
  { title: 'MEM USAGE/LIMIT', width: 15, priority: 10, right: true, text: (r) => `${r.memUsage === null ? '--' : humanBytes(r.memUsage, true)}/${humanBytes(r.memLimit, true)}` },
  { title: 'MEM', width: 8, priority: 3, text: (r) => bar(r.memUsage, r.memLimit, 8) },
  { title: 'MEM%', width: 6, priority: 9, right: true, text: (r) => pct(r.memPercent) },
  { title: 'THROTL', width: 6, priority: 7, right: true, text: (r) => pct(r.throttledPercent) },
  { title: 'IO R/W /s', width: 15, priority: 4, right: true, text: (r) => `${rateText(r.readRate)}/${rateText(r.writeRate)}` },
  { title: 'PIDS', width: 8, priority: 6, right: true, text: (r) => `${count(r.pids)}/${r.pidsLimit === null ? '-' : r.pidsLimit}` },
  { title: 'RST', width: 3, priority: 5, right: true, text: (r) => String(r.restarts) },
  { title: 'OOM', width: 3, priority: 6, right: true, text: (r) => String(r.oomKills) },
  { title: 'UPTIME', width: 6, priority: 2, right: true, text: (r) => shortDuration(r.uptime) },
];

function fit(text: string, width: number, right = false): string {
  const t = text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text;
  return right ? t.padStart(width) : t.padEnd(width);
}

/** The columns that fit in `width` (lowest priority dropped first) and the NAME column's width. */
export function layout(width: number, names: string[]): { nameWidth: number; columns: Column[] } {
  let columns = COLUMNS;
  const used = (cs: Column[]) => cs.reduce((n, c) => n + c.width + 1, 0);
  while (columns.length && used(columns) + MIN_NAME > width) {
    const lowest = Math.min(...columns.map((c) => c.priority));
    columns = columns.filter((c) => c.priority !== lowest);
  }
  const longest = Math.max(4, ...names.map((n) => n.length));
  return { nameWidth: Math.max(Math.min(MIN_NAME, width), Math.min(longest, width - used(columns))), columns };
}

/** Header and one line per row, each at most `width` characters (Infinity: every column, names in full). */
export function formatTable(rows: TopRow[], width: number): { header: string; lines: string[] } {
  const { nameWidth, columns } = layout(width, rows.map((r) => r.name));
  const line = (name: string, cells: string[]) => [fit(name, nameWidth), ...cells].join(' ').trimEnd();
  return {
    header: line('NAME', columns.map((c) => fit(c.title, c.width, c.right))),
    lines: rows.map((r) => line(r.name, columns.map((c) => fit(c.text(r), c.width, c.right)))),
  };
}

/** The workload's limits as short lines for the detail view. */
export function limitLines(l: Readonly<Limits>, hostMemory: number): string[] {
  const mem = (v: number | null) => (v === null ? 'unlimited' : humanBytes(v, true));
  const { quota, period } = cfsOf(l);
  const cpus = quota && period && quota > 0 ? (quota / period).toFixed(2) : 'unlimited';
  const lines = [
    `memory       ${mem(l.memory)} (host ${humanBytes(hostMemory, true)})`,
    `memory+swap  ${mem(l.memorySwap)}`,
    `reservation  ${l.memoryReservation === null ? '--' : mem(l.memoryReservation)}`,
    `cpus         ${cpus}${quota && period ? ` (${quota}us per ${period}us)` : ''}`,
    `cpu shares   ${l.cpuShares ?? 1024}`,
    `cpuset       cpus ${l.cpusetCpus ?? 'all'}, mems ${l.cpusetMems ?? 'all'}`,
    `pids         ${l.pidsLimit === null || l.pidsLimit <= 0 ? 'unlimited' : l.pidsLimit}`,
  ];
  if (l.oomKillDisable) lines.push('oom killer   disabled');
  if (l.blkioWeight !== null) lines.push(`blkio weight ${l.blkioWeight}`);
  const devices = [
    ...l.deviceReadBps.map((d) => `read ${d.path} ${humanBytes(d.rate, false)}/s`),
    ...l.deviceWriteBps.map((d) => `write ${d.path} ${humanBytes(d.rate, false)}/s`),
    ...l.deviceReadIops.map((d) => `read ${d.path} ${d.rate} IO/s`),
    ...l.deviceWriteIops.map((d) => `write ${d.path} ${d.rate} IO/s`),
  ];
  if (devices.length) lines.push(`block I/O    ${devices.join(', ')}`);
  return lines;
}
