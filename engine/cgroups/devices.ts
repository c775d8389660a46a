import * as fs from 'node:fs';
import { invalidArgument, LimitsError, parseMemBytes, ResourceFlag } from './flagvalue';

/** A block device as the kernel names it in cgroup files ("254:0"), and the path it came from. */
export interface BlockDevice { path: string; major: number; minor: number }
export interface DeviceRate extends BlockDevice { rate: number }
export interface DeviceWeight extends BlockDevice { weight: number }

export type StatDevice = (path: string) => { major: number; minor: number };

/** Splits "PATH:VALUE" as Docker's CLI validators do (strings.Cut on the first colon). */
function split(flag: ResourceFlag, val: string): [string, string] {
  const i = val.indexOf(':');
  if (i <= 0) throw invalidArgument(flag, val, `bad format: ${val}`);
  const p = val.slice(0, i);
  if (!p.startsWith('/dev/')) throw invalidArgument(flag, val, `bad format for device path: ${val}`);
  return [p, val.slice(i + 1)];
}

const BPS_FORMAT = 'The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb';
const IOPS_FORMAT = 'The correct format is <device-path>:<number>. Number must be a positive integer';

/** --device-read-bps / --device-write-bps: PATH:RATE[kb|mb|gb] (binary units). */
export function parseThrottleBps(flag: ResourceFlag, val: string): { path: string; rate: number } {
  const [p, v] = split(flag, val);
  let rate: number;
  try { rate = parseMemBytes(flag, v); } catch { throw invalidArgument(flag, val, `invalid rate for device: ${val}. ${BPS_FORMAT}`); }
  return { path: p, rate };
}

/** --device-read-iops / --device-write-iops: PATH:N. */
export function parseThrottleIops(flag: ResourceFlag, val: string): { path: string; rate: number } {
  const [p, v] = split(flag, val);
  if (!/^\d+$/.test(v) || BigInt(v) >= 1n << 64n) throw invalidArgument(flag, val, `invalid rate for device: ${val}. ${IOPS_FORMAT}`);
  return { path: p, rate: Number(v) };
}

/** --blkio-weight-device: PATH:W with W 10..1000 (0 allowed: "no weight"). */
export function parseWeightDevice(flag: ResourceFlag, val: string): { path: string; weight: number } {
  const [p, v] = split(flag, val);
  const w = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(w >= 0 && w < 65536) || (w > 0 && (w < 10 || w > 1000))) throw invalidArgument(flag, val, `invalid weight for device: ${val}`);
  return { path: p, weight: w };
}

/** Major and minor from a Linux dev_t (glibc's encoding: 12-bit major, 20-bit minor, split). */
export function devNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor & 0xffffffffn) };
}

/** stat(2) the path as dockerd does; a block device's numbers, or a LimitsError-ready message. */
export function statBlockDevice(p: string): { major: number; minor: number } {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(p, { bigint: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`stat ${p}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(code)}`);
  }
  if (!st.isBlockDevice()) throw new Error(`${p} is not a block device`);
  return devNumbers(st.rdev);
}

/** Resolves each entry's path to MAJ:MIN; a later entry for the same device replaces the earlier one. */
export function resolveDevices<T extends { path: string }>(flag: ResourceFlag, entries: T[], stat: StatDevice): Array<T & BlockDevice> {
  const byDev = new Map<string, T & BlockDevice>();
  for (const e of entries) {
    let n: { major: number; minor: number };
    try { n = stat(e.path); } catch (err) { throw new LimitsError(flag, (err as Error).message); }
    byDev.set(`${n.major}:${n.minor}`, { ...e, major: n.major, minor: n.minor });
  }
  return [...byDev.values()];
}

export const devKey = (d: { major: number; minor: number }): string => `${d.major}:${d.minor}`;
