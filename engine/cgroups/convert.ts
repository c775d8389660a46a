/**
 * cgroup v1 values (what Limits holds) to cgroup v2 file values, as runc 1.4
 * (opencontainers/cgroups v0.0.3+) converts them.
 */

/**
 * cpu.shares (2..262144, default 1024) to cpu.weight (1..10000, default 100) on the
 * log scale that maps min, default and max exactly (replaced the old linear formula,
 * which put the default 1024 at 39).
 */
export function sharesToWeight(shares: number): number {
  if (shares <= 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
}

/** blkio weight (10..1000) to io.weight (1..10000); only used when io.bfq.weight is absent. */
export function blkioToIoWeight(w: number): number {
  return w <= 0 ? 0 : 1 + Math.floor(((w - 10) * 9999) / 990);
}

/**
 * memory.swap.max from Docker's memory+swap total: swap alone, i.e. memorySwap - memory;
 * unlimited stays unlimited ("max"); equal values give "0" (no swap at all).
 */
export function swapMax(memorySwap: number | null, memory: number | null): string {
  if (memorySwap === null) return 'max';
  if (memory === null) throw new Error('unable to set swap limit without memory limit');
  if (memorySwap < memory) throw new Error('memory+swap limit should be >= memory limit');
  return String(memorySwap - memory);
}

/** cpu.max: "<quota|max> <period>", the period defaulting to the kernel's 100000. */
export function cpuMax(quota: number | null, period: number | null): string {
  return `${quota === null ? 'max' : quota} ${period ?? 100000}`;
}

/** One io.max line per device, every key spelt out so a removed limit goes back to "max". */
export function ioMaxLine(dev: string, r: { rbps?: number; wbps?: number; riops?: number; wiops?: number }): string {
  const v = (n: number | undefined) => (n === undefined ? 'max' : String(n));
  return `${dev} rbps=${v(r.rbps)} wbps=${v(r.wbps)} riops=${v(r.riops)} wiops=${v(r.wiops)}`;
}

/** memory.low for --memory-reservation ("0" = no protection). */
export function memoryLow(reservation: number | null): string {
  return reservation === null ? '0' : String(reservation);
}
