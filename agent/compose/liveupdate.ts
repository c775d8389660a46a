import { ResourceFlags } from '../../engine/cgroups/limits';

/** Limits as inspect's HostConfig shows them (Memory, NanoCpus, PidsLimit, ...). */
export type HostLimits = Readonly<Record<string, unknown>>;

type ToFlag = (desired: unknown) => string | undefined;

/** A positive value is sent as is; zero means "not set", which `update` cannot express (Docker's rule). */
const positive: ToFlag = (v) => (typeof v === 'number' && v > 0 ? String(v) : undefined);
const nonEmpty: ToFlag = (v) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The HostConfig fields `corral update` can change, and the flag value that sets each to the
 * wanted one. Unlimited is expressible only where Docker's update has a word for it (-1).
 */
const UPDATABLE: Record<string, [flag: string, to: ToFlag]> = {
  Memory: ['memory', positive],
  MemorySwap: ['memory-swap', (v) => (v === -1 ? '-1' : positive(v))],
  MemoryReservation: ['memory-reservation', positive],
  CpuShares: ['cpu-shares', positive],
  // Exactly the nano-CPUs: --cpus accepts exponents, so no rounding through a float.
  NanoCpus: ['cpus', (v) => (typeof v === 'number' && v > 0 ? `${v}e-9` : undefined)],
  CpuPeriod: ['cpu-period', positive],
  CpuQuota: ['cpu-quota', (v) => positive(v) ?? '-1'],
  CpusetCpus: ['cpuset-cpus', nonEmpty],
  CpusetMems: ['cpuset-mems', nonEmpty],
  BlkioWeight: ['blkio-weight', positive],
  PidsLimit: ['pids-limit', (v) => positive(v) ?? '-1'],
};

export type LimitsChange = { kind: 'same' } | { kind: 'update'; flags: ResourceFlags; fields: string[] } | { kind: 'recreate'; why: string };

/**
 * What it takes to go from the current limits to the wanted ones: nothing, a live update (only
 * the fields that differ), or a new workload when a field cannot change live.
 */
export function limitsChange(current: HostLimits, wanted: HostLimits): LimitsChange {
  const fields = Object.keys(wanted).filter((k) => JSON.stringify(current[k] ?? null) !== JSON.stringify(wanted[k] ?? null));
  if (!fields.length) return { kind: 'same' };
  const flags: Record<string, string> = {};
  for (const f of fields) {
    const u = UPDATABLE[f];
    if (!u) return { kind: 'recreate', why: `${f} cannot change live` };
    const v = u[1](wanted[f]);
    if (v === undefined) return { kind: 'recreate', why: `${f} cannot be unset live` };
    flags[u[0]] = v;
  }
  return { kind: 'update', flags: flags as ResourceFlags, fields: Object.keys(flags) };
}
