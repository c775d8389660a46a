import { parseThrottleBps, parseThrottleIops, parseWeightDevice } from './devices';
import {
  last, LimitsError, parseBool, parseInt64, parseMemBytes, parseMemSwapBytes, parseNanoCpus, parseUint,
  RESOURCE_FLAGS, ResourceFlag, ResourceFlags, values,
} from './flagvalue';

/**
 * The flags as Docker's HostConfig.Resources holds them after the CLI has parsed them:
 * 0 / "" / undefined = not given, -1 = unlimited where Docker says so. Only the parser
 * and the checks see this form; everything else uses Limits (null = unlimited).
 */
export interface RawResources {
  memory: number;
  memorySwap: number;
  memoryReservation: number;
  oomKillDisable: boolean | undefined;
  memorySwappiness: number | undefined;
  cpuShares: number;
  nanoCpus: number;
  cpuPeriod: number;
  cpuQuota: number;
  cpusetCpus: string;
  cpusetMems: string;
  blkioWeight: number;
  blkioWeightDevice: Array<{ path: string; weight: number }>;
  deviceReadBps: Array<{ path: string; rate: number }>;
  deviceWriteBps: Array<{ path: string; rate: number }>;
  deviceReadIops: Array<{ path: string; rate: number }>;
  deviceWriteIops: Array<{ path: string; rate: number }>;
  pidsLimit: number | undefined;
}

const ALIASES: Record<string, ResourceFlag> = { m: 'memory', c: 'cpu-shares' };

/** Closed set of keys: long names (and -m/-c) only; anything else is named and refused. */
function normalise(flags: ResourceFlags): Partial<Record<ResourceFlag, ReturnType<typeof values>>> {
  const out: Partial<Record<ResourceFlag, string[]>> = {};
  for (const [key, v] of Object.entries(flags)) {
    if (v === undefined) continue;
    const name = (ALIASES[key] ?? key) as ResourceFlag;
    if (!(name in RESOURCE_FLAGS)) throw new LimitsError(key, `unknown flag: --${key}`);
    // The API takes any JSON: only what the CLI can send (text, a list of texts, a bool or number) is a value.
    const ok = (x: unknown) => typeof x === 'string' || typeof x === 'boolean' || typeof x === 'number';
    if (!(ok(v) || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) {
      throw new LimitsError(name, `invalid value ${JSON.stringify(v)} for --${name}: expected text or a list of texts`);
    }
    out[name] = [...(out[name] ?? []), ...values(v)];
  }
  return out;
}

/** Parses flag text the way Docker's CLI does (units, number syntax, device formats). */
export function readRaw(flags: ResourceFlags): RawResources {
  const f = normalise(flags);
  const one = (k: ResourceFlag) => last(f[k]);
  const num = (k: ResourceFlag, parse: (k: ResourceFlag, s: string) => number, dflt = 0) => {
    const s = one(k);
    return s === undefined ? dflt : parse(k, s);
  };
  const swappiness = num('memory-swappiness', parseInt64, -1);
  const oom = one('oom-kill-disable');
  const pids = one('pids-limit');
  return {
    memory: num('memory', parseMemBytes),
    memorySwap: num('memory-swap', parseMemSwapBytes),
    memoryReservation: num('memory-reservation', parseMemBytes),
    oomKillDisable: oom === undefined ? undefined : parseBool('oom-kill-disable', oom),
    memorySwappiness: swappiness === -1 ? undefined : swappiness,
    cpuShares: num('cpu-shares', parseInt64),
    nanoCpus: num('cpus', (_k, s) => parseNanoCpus(s)),
    cpuPeriod: num('cpu-period', parseInt64),
    cpuQuota: num('cpu-quota', parseInt64),
    cpusetCpus: one('cpuset-cpus') ?? '',
    cpusetMems: one('cpuset-mems') ?? '',
    blkioWeight: num('blkio-weight', (k, s) => parseUint(k, s, 16)),
    blkioWeightDevice: (f['blkio-weight-device'] ?? []).map((v) => parseWeightDevice('blkio-weight-device', v)),
    deviceReadBps: (f['device-read-bps'] ?? []).map((v) => parseThrottleBps('device-read-bps', v)),
    deviceWriteBps: (f['device-write-bps'] ?? []).map((v) => parseThrottleBps('device-write-bps', v)),
    deviceReadIops: (f['device-read-iops'] ?? []).map((v) => parseThrottleIops('device-read-iops', v)),
    deviceWriteIops: (f['device-write-iops'] ?? []).map((v) => parseThrottleIops('device-write-iops', v)),
    pidsLimit: pids === undefined ? undefined : parseInt64('pids-limit', pids),
  };
}

/** Which flags were given, for the update rules (Docker merges only non-zero fields). */
export function givenFlags(flags: ResourceFlags): Set<ResourceFlag> {
  return new Set(Object.keys(normalise(flags)) as ResourceFlag[]);
}
