import { LimitsError, ResourceFlag, ResourceFlags } from './flagvalue';
import { fromRaw, Limits } from './limits';
import { givenFlags, readRaw } from './raw';
import { HostInfo, verifyRaw } from './verify';

/** What `update` changes: a key present is set (null = unlimited), a key absent is kept. */
export type LimitsChanges = Partial<Limits>;

/** The flags Docker's `update` accepts; the others can only be set at create. */
export const UPDATE_FLAGS: ReadonlySet<ResourceFlag> = new Set<ResourceFlag>([
  'blkio-weight', 'cpu-period', 'cpu-quota', 'cpu-shares', 'cpus', 'cpuset-cpus', 'cpuset-mems',
  'memory', 'memory-reservation', 'memory-swap', 'pids-limit',
]);

/**
 * `update` flags to changes. As Docker: a zero or empty value means "leave it", -1 swap and
 * a quota or pids limit <= 0 mean unlimited; only the given values are checked here.
 */
export function parseUpdate(flags: ResourceFlags, host: HostInfo): { changes: LimitsChanges; warnings: string[] } {
  const given = givenFlags(flags);
  for (const f of given) if (!UPDATE_FLAGS.has(f)) throw new LimitsError(f, `unknown flag: --${f}`);
  const raw = readRaw(flags);
  const warnings = verifyRaw(raw, host, true, given.has('memory-swap'));
  const l = fromRaw(raw, host);
  const c: LimitsChanges = {};
  if (raw.memory !== 0) c.memory = l.memory;
  if (raw.memorySwap !== 0) c.memorySwap = l.memorySwap;
  if (raw.memoryReservation !== 0) c.memoryReservation = l.memoryReservation;
  if (raw.cpuShares !== 0) c.cpuShares = l.cpuShares;
  if (raw.nanoCpus !== 0) c.nanoCpus = l.nanoCpus;
  if (raw.cpuPeriod !== 0) c.cpuPeriod = l.cpuPeriod;
  if (raw.cpuQuota !== 0) c.cpuQuota = l.cpuQuota;
  if (raw.cpusetCpus !== '') c.cpusetCpus = l.cpusetCpus;
  if (raw.cpusetMems !== '') c.cpusetMems = l.cpusetMems;
  if (raw.blkioWeight !== 0) c.blkioWeight = l.blkioWeight;
  if (raw.pidsLimit !== undefined) c.pidsLimit = l.pidsLimit;
  return { changes: c, warnings };
}

/**
 * Docker's UpdateContainer rules as a pure function: conflicts are judged against what is
 * already set, the result must still make sense as a whole, and a refused update throws
 * without touching `current`.
 */
export function mergeUpdate(current: Readonly<Limits>, changes: LimitsChanges): Limits {
  const set = (v: number | null | undefined) => v !== undefined && v !== null;
  const fail = (flag: string, msg: string) => new LimitsError(flag, msg);
  if (set(changes.nanoCpus) && current.cpuPeriod !== null) throw fail('cpus', 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (set(changes.nanoCpus) && current.cpuQuota !== null) throw fail('cpus', 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (set(changes.cpuPeriod) && current.nanoCpus !== null) throw fail('cpu-period', 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (set(changes.cpuQuota) && current.nanoCpus !== null) throw fail('cpu-quota', 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  if (set(changes.memory) && !('memorySwap' in changes) && current.memorySwap !== null && changes.memory! > current.memorySwap) {
    throw fail('memory', 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  const next: Limits = { ...current };
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
  checkWhole(next);
  return next;
}

/** The create-time rules that also bind the merged result (Docker leaves these to the kernel). */
function checkWhole(l: Limits): void {
  if (l.memory !== null && l.memorySwap !== null && l.memorySwap < l.memory) {
    throw new LimitsError('memory-swap', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (l.memory === null && l.memorySwap !== null) {
    throw new LimitsError('memory-swap', 'You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (l.memory !== null && l.memoryReservation !== null && l.memory < l.memoryReservation) {
    throw new LimitsError('memory-reservation', 'Minimum memory limit can not be less than memory reservation limit, see usage');
  }
}
