import { isListAvailable } from './cpulist';
import { StatDevice } from './devices';
import { LimitsError } from './flagvalue';
import { RawResources } from './raw';

/** What the checks need to know about the machine (dockerd's sysInfo). */
export interface HostInfo {
  /** CPUs the agent may use (Go's runtime.NumCPU). */
  ncpu: number;
  /** CPU and memory-node lists available to workloads (root cpuset / cpuset.*.effective). */
  cpus: string;
  mems: string;
  /** The kernel accounts swap per cgroup (memsw files on v1, memory.swap.max on v2). */
  swapLimit: boolean;
  statDevice: StatDevice;
}

export const MIN_MEMORY = 6291456;

/**
 * dockerd's verifyPlatformContainerResources, in its order and words. Returns warnings;
 * adjusts r where dockerd does (swap dropped when the kernel can't limit it). On update
 * only the given values are checked, as dockerd does.
 */
export function verifyRaw(r: RawResources, host: HostInfo, update: boolean, swapGiven: boolean): string[] {
  const warnings: string[] = [];
  const fail = (flag: string, msg: string) => new LimitsError(flag, msg);
  if (r.memory !== 0 && r.memory < MIN_MEMORY) throw fail('memory', 'Minimum memory limit allowed is 6MB');
  if (r.memory > 0 && r.memorySwap !== -1 && !host.swapLimit) {
    // dockerd drops it with a warning; an explicit --memory-swap is refused instead of ignored.
    if (swapGiven) throw fail('memory-swap', 'Your kernel does not support swap limit capabilities or the cgroup is not mounted: --memory-swap cannot be honoured (use --memory-swap -1)');
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.memorySwap = -1;
  }
  if (r.memory > 0 && r.memorySwap > 0 && r.memorySwap < r.memory) {
    throw fail('memory-swap', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (r.memory === 0 && r.memorySwap > 0 && !update) {
    throw fail('memory-swap', 'You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (r.memorySwappiness !== undefined && (r.memorySwappiness < 0 || r.memorySwappiness > 100)) {
    throw fail('memory-swappiness', `Invalid value: ${r.memorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if (r.memoryReservation > 0 && r.memoryReservation < MIN_MEMORY) throw fail('memory-reservation', 'Minimum memory reservation allowed is 6MB');
  if (r.memory > 0 && r.memoryReservation > 0 && r.memory < r.memoryReservation) {
    throw fail('memory-reservation', 'Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (r.oomKillDisable && r.memory === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (r.nanoCpus > 0 && r.cpuPeriod > 0) throw fail('cpus', 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (r.nanoCpus > 0 && r.cpuQuota > 0) throw fail('cpus', 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (r.nanoCpus !== 0 && (r.nanoCpus < 0 || r.nanoCpus > host.ncpu * 1e9)) {
    throw fail('cpus', `range of CPUs is from 0.01 to ${host.ncpu}.00, as there are only ${host.ncpu} CPUs available`);
  }
  if (r.cpuPeriod !== 0 && (r.cpuPeriod < 1000 || r.cpuPeriod > 1000000)) {
    throw fail('cpu-period', 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (r.cpuQuota > 0 && r.cpuQuota < 1000) throw fail('cpu-quota', 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (r.cpuShares < 0) throw fail('cpu-shares', `invalid CPU shares (${r.cpuShares}): value must be a positive integer`);
  checkList('cpuset-cpus', r.cpusetCpus, host.cpus, 'cpus', 'CPUs');
  checkList('cpuset-mems', r.cpusetMems, host.mems, 'mems', 'memory nodes');
  if (r.blkioWeight > 0 && (r.blkioWeight < 10 || r.blkioWeight > 1000)) throw fail('blkio-weight', 'Range of blkio weight is from 10 to 1000');
  return warnings;
}

function checkList(flag: string, provided: string, available: string, word: string, what: string): void {
  let ok: boolean;
  try {
    ok = isListAvailable(provided, available);
  } catch (e) {
    throw new LimitsError(flag, `Invalid value ${provided} for cpuset ${word}: ${(e as Error).message}`);
  }
  if (!ok) throw new LimitsError(flag, `Requested ${what} are not available - requested ${provided}, available: ${available}`);
}
