import { Limits } from './limits';

/**
 * Limits as `docker inspect` shows them in HostConfig (its field names and order, 0 for
 * "not set", -1 for unlimited swap, null where Docker has a pointer).
 */
export function toHostConfig(l: Limits): Record<string, unknown> {
  const rate = (list: Limits['deviceReadBps']) => list.map((d) => ({ Path: d.path, Rate: d.rate }));
  return {
    CpuShares: l.cpuShares ?? 0,
    Memory: l.memory ?? 0,
    NanoCpus: l.nanoCpus ?? 0,
    BlkioWeight: l.blkioWeight ?? 0,
    BlkioWeightDevice: l.blkioWeightDevice.map((d) => ({ Path: d.path, Weight: d.weight })),
    BlkioDeviceReadBps: rate(l.deviceReadBps),
    BlkioDeviceWriteBps: rate(l.deviceWriteBps),
    BlkioDeviceReadIOps: rate(l.deviceReadIops),
    BlkioDeviceWriteIOps: rate(l.deviceWriteIops),
    CpuPeriod: l.cpuPeriod ?? 0,
    CpuQuota: l.cpuQuota ?? 0,
    CpusetCpus: l.cpusetCpus ?? '',
    CpusetMems: l.cpusetMems ?? '',
    MemoryReservation: l.memoryReservation ?? 0,
    MemorySwap: l.memorySwap ?? (l.memory === null ? 0 : -1),
    MemorySwappiness: l.memorySwappiness,
    OomKillDisable: l.oomKillDisable,
    PidsLimit: l.pidsLimit,
  };
}
