// Numbers as corral's CLI shows them (Docker's units: binary for memory, decimal for I/O).

export function bytes(n: number | null | undefined, binary = true): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '--';
  const base = binary ? 1024 : 1000;
  const units = binary ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= base && i < units.length - 1) { n /= base; i++; }
  return `${Number(n.toPrecision(3))}${units[i]}`;
}

export const pct = (v: number | null | undefined) => (v === null || v === undefined ? '--' : `${v.toFixed(1)}%`);
export const count = (v: number | null | undefined) => (v === null || v === undefined ? '--' : String(v));
export const rate = (v: number | null | undefined) => (v === null || v === undefined ? '--' : `${bytes(v, false)}/s`);

/** "2d03h", "4h05m", "12m30s", "45s". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '--';
  const s = Math.floor(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** Local wall-clock time of an epoch in ms, with milliseconds ("14:03:07.123"). */
export function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * A workload's memory limit of its own while it runs; null when it has none (the agent reports the
 * host's memory then) or is not running (nothing to limit), so the page shows "--" instead of the host's size.
 */
export function memLimitOf(r: { state: string; memLimit: number; limits: Record<string, unknown> }): number | null {
  const own = r.limits['memory'];
  return (r.state === 'running' || r.state === 'restarting') && typeof own === 'number' && own > 0 ? r.memLimit : null;
}

export const shortId = (id: string) => id.slice(0, 12);
