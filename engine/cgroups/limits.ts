import { DeviceRate, DeviceWeight, resolveDevices } from './devices';
import { ResourceFlags } from './flagvalue';
import { givenFlags, RawResources, readRaw } from './raw';
import { HostInfo, verifyRaw } from './verify';

export { LimitsError, RESOURCE_FLAGS } from './flagvalue';
export type { ResourceFlag, ResourceFlags, FlagValue } from './flagvalue';
export type { HostInfo } from './verify';
export type { DeviceRate, DeviceWeight } from './devices';

/**
 * A workload's resource limits with Docker's cgroup v1 meaning (memorySwap is
 * memory+swap; shares 2..262144; blkio weight 10..1000). null = unlimited / not set:
 * no sentinel numbers. The v2 backend converts at its edge.
 */
export interface Limits {
  /** Bytes (-m). */
  memory: number | null;
  /** Memory plus swap, bytes (--memory-swap). null = unlimited swap. */
  memorySwap: number | null;
  /** Soft limit, bytes (--memory-reservation). */
  memoryReservation: number | null;
  oomKillDisable: boolean;
  /** 0..100; null = the kernel's default. */
  memorySwappiness: number | null;
  cpuShares: number | null;
  /** --cpus in billionths of a CPU; the cgroup gets period 100000 and quota to match. */
  nanoCpus: number | null;
  /** Microseconds. */
  cpuPeriod: number | null;
  cpuQuota: number | null;
  cpusetCpus: string | null;
  cpusetMems: string | null;
  blkioWeight: number | null;
  blkioWeightDevice: DeviceWeight[];
  deviceReadBps: DeviceRate[];
  deviceWriteBps: DeviceRate[];
  deviceReadIops: DeviceRate[];
  deviceWriteIops: DeviceRate[];
  pidsLimit: number | null;
}

export const NO_LIMITS: Readonly<Limits> = Object.freeze({
  memory: null, memorySwap: null, memoryReservation: null, oomKillDisable: false, memorySwappiness: null,
  cpuShares: null, nanoCpus: null, cpuPeriod: null, cpuQuota: null, cpusetCpus: null, cpusetMems: null,
  blkioWeight: null, blkioWeightDevice: [], deviceReadBps: [], deviceWriteBps: [], deviceReadIops: [],
  deviceWriteIops: [], pidsLimit: null,
});

export const DEFAULT_CFS_PERIOD = 100000;

/** The CFS period and quota the cgroup gets: --cpus becomes period 100000 and quota to match. */
export function cfsOf(l: Limits): { period: number | null; quota: number | null } {
  if (l.nanoCpus !== null) return { period: DEFAULT_CFS_PERIOD, quota: Math.floor((l.nanoCpus * DEFAULT_CFS_PERIOD) / 1e9) };
  return { period: l.cpuPeriod, quota: l.cpuQuota };
}

/** True when anything differs from "no limits" (a workload without cgroups can still run). */
export function hasLimits(l: Limits): boolean {
  return JSON.stringify(l) !== JSON.stringify(NO_LIMITS);
}

export interface ParsedLimits {
  limits: Limits;
  /** dockerd's warnings (e.g. OOM killer disabled without a memory limit). */
  warnings: string[];
}

/**
 * `run`/`create`: flag name -> text value(s) to Limits, with Docker's units, checks and
 * messages; device paths resolved to MAJ:MIN. Throws LimitsError (exit 125).
 */
export function parseLimits(flags: ResourceFlags, host: HostInfo): ParsedLimits {
  const raw = readRaw(flags);
  const warnings = verifyRaw(raw, host, false, givenFlags(flags).has('memory-swap'));
  // dockerd's adaptContainerSettings: swap unset with a memory limit = twice the memory.
  if (raw.memory > 0 && raw.memorySwap === 0) raw.memorySwap = raw.memory * 2;
  return { limits: fromRaw(raw, host), warnings };
}

/** Docker's HostConfig numbers to Limits: 0/""/-1 become null. */
export function fromRaw(r: RawResources, host: HostInfo): Limits {
  const pos = (n: number) => (n > 0 ? n : null);
  return {
    memory: pos(r.memory),
    memorySwap: pos(r.memorySwap),
    memoryReservation: pos(r.memoryReservation),
    oomKillDisable: r.oomKillDisable ?? false,
    memorySwappiness: r.memorySwappiness ?? null,
    cpuShares: pos(r.cpuShares),
    nanoCpus: pos(r.nanoCpus),
    cpuPeriod: pos(r.cpuPeriod),
    cpuQuota: pos(r.cpuQuota),
    cpusetCpus: r.cpusetCpus || null,
    cpusetMems: r.cpusetMems || null,
    blkioWeight: pos(r.blkioWeight),
    blkioWeightDevice: resolveDevices('blkio-weight-device', r.blkioWeightDevice, host.statDevice),
    deviceReadBps: resolveDevices('device-read-bps', r.deviceReadBps, host.statDevice),
    deviceWriteBps: resolveDevices('device-write-bps', r.deviceWriteBps, host.statDevice),
    deviceReadIops: resolveDevices('device-read-iops', r.deviceReadIops, host.statDevice),
    deviceWriteIops: resolveDevices('device-write-iops', r.deviceWriteIops, host.statDevice),
    // getPidsLimit: zero or less means unlimited.
    pidsLimit: r.pidsLimit !== undefined && r.pidsLimit > 0 ? r.pidsLimit : null,
  };
}

export { mergeUpdate, parseUpdate } from './update';
export type { LimitsChanges } from './update';
