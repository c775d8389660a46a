import { ramInBytes } from '../units';

/**
 * Docker's resource flags and how its CLI turns their text into numbers (pflag + go-units),
 * with the CLI's own error texts: `invalid argument "x" for "-m, --memory" flag: ...`.
 */
export const RESOURCE_FLAGS = {
  'memory': 'm', 'memory-swap': '', 'memory-reservation': '', 'oom-kill-disable': '',
  'memory-swappiness': '', 'cpu-shares': 'c', 'cpus': '', 'cpu-period': '', 'cpu-quota': '',
  'cpuset-cpus': '', 'cpuset-mems': '', 'blkio-weight': '', 'blkio-weight-device': '',
  'device-read-bps': '', 'device-write-bps': '', 'device-read-iops': '', 'device-write-iops': '',
  'pids-limit': '',
} as const;

export type ResourceFlag = keyof typeof RESOURCE_FLAGS;
export type FlagValue = string | readonly string[] | boolean | number | undefined;
export type ResourceFlags = Partial<Record<ResourceFlag | 'm' | 'c', FlagValue>>;

/** A resource flag was refused; `flag` is its long name. The CLI exits 125. */
export class LimitsError extends Error {
  readonly exitCode = 125;
  constructor(readonly flag: string, message: string) {
    super(message);
    this.name = 'LimitsError';
  }
}

/** pflag's way of naming a flag in messages: "-m, --memory" or "--cpus". */
export function flagLabel(flag: ResourceFlag): string {
  const short = RESOURCE_FLAGS[flag];
  return short ? `-${short}, --${flag}` : `--${flag}`;
}

export function invalidArgument(flag: ResourceFlag, value: string, why: string): LimitsError {
  return new LimitsError(flag, `invalid argument ${JSON.stringify(value)} for ${JSON.stringify(flagLabel(flag))} flag: ${why}`);
}

/** Every value given for a flag, as text (repeatable flags keep all, others use the last). */
export function values(v: FlagValue): string[] {
  if (v === undefined) return [];
  if (typeof v === 'boolean' || typeof v === 'number') return [String(v)];
  return typeof v === 'string' ? [v] : [...v];
}

export function last(v: FlagValue): string | undefined {
  const all = values(v);
  return all[all.length - 1];
}

const INT = /^[+-]?\d+$/;

/** strconv.ParseInt(s, 10, 64) as pflag's int64 flags use it. */
export function parseInt64(flag: ResourceFlag, s: string): number {
  if (!INT.test(s)) throw invalidArgument(flag, s, `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) {
    throw invalidArgument(flag, s, `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return Number(n);
}

/** strconv.ParseUint(s, 10, bits), as pflag's uint16 flag (--blkio-weight) uses it. */
export function parseUint(flag: ResourceFlag, s: string, bits: number): number {
  if (!/^\d+$/.test(s)) throw invalidArgument(flag, s, `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  if (BigInt(s) >= 1n << BigInt(bits)) throw invalidArgument(flag, s, `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
  return Number(s);
}

/** strconv.ParseBool. */
export function parseBool(flag: ResourceFlag, s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True', ''].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw invalidArgument(flag, s, `strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** opts.MemBytes: go-units RAMInBytes (binary units: 1m = 1048576). */
export function parseMemBytes(flag: ResourceFlag, s: string): number {
  const n = ramInBytes(s);
  if (n === undefined) throw invalidArgument(flag, s, `invalid size: '${s}'`);
  return n;
}

/** opts.MemSwapBytes: "-1" means unlimited, anything else as MemBytes. */
export function parseMemSwapBytes(flag: ResourceFlag, s: string): number {
  return s === '-1' ? -1 : parseMemBytes(flag, s);
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const FRACTION = /^([+-]?\d+)\/(\d+)$/;

/** opts.ParseCPUs: a rational number (1.5, 3/2, 15e-1) that must be a whole number of nano-CPUs. */
export function parseNanoCpus(s: string): number {
  const bad = () => invalidArgument('cpus', s, `failed to parse ${s} as a rational number`);
  const precise = () => invalidArgument('cpus', s, 'value is too precise');
  const f = FRACTION.exec(s);
  if (f) {
    const num = BigInt(f[1]!) * 1_000_000_000n;
    const den = BigInt(f[2]!);
    if (den === 0n) throw bad();
    if (num % den !== 0n) throw precise();
    return Number(num / den);
  }
  const d = DECIMAL.exec(s);
  if (!d || (d[2] === '' && !d[3])) throw bad();
  const frac = d[3] ?? '';
  let exp = 9 + Number(d[4] ?? 0) - frac.length;
  let digits = BigInt((d[2] || '0') + frac);
  // `1e999999999` must not build a billion-digit BigInt (a hang): beyond ~400 digits either
  // way the value is past any float (out of range) or below one nano-CPU (too precise).
  if (digits === 0n) return 0;
  const size = digits.toString().length;
  if (exp + size > 400) return d[1] === '-' ? -Infinity : Infinity;
  if (-exp > size) throw precise();
  if (exp >= 0) digits *= 10n ** BigInt(exp);
  else {
    const div = 10n ** BigInt(-exp);
    if (digits % div !== 0n) throw precise();
    digits /= div;
    exp = 0;
  }
  return Number(d[1] === '-' ? -digits : digits);
}
