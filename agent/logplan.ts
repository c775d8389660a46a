import { DriverDefinition, OptionError } from '../engine/logs/driver';
import { DeliveryMode, GENERIC_LOG_OPTS, splitDeliveryMode } from '../engine/logs/mode';
import { SpoolConfig, splitSpoolOptions } from '../engine/logs/spoolopts';
import { LogConfig } from '../engine/workloads/spec';
import { driverNames, findDriver } from '../drivers';
import { jsonFile } from '../drivers/json-file';
import { parseBool } from '../drivers/json-file/options';

/** One outlet a run of the workload opens. */
export interface PlannedOutlet {
  def: DriverDefinition<unknown>;
  /** The outlet's name in stats and metrics: the driver's, or `cache` for the local copy. */
  name: string;
  delivery: DeliveryMode;
  options: unknown;
  /** `<driver>-require-healthy=true`: an unreachable server fails `run` instead of warning. */
  requireHealthy: boolean;
  /** A log server (the driver has a probe): runs end without waiting for it to drain. */
  remote: boolean;
  /** `spool-dir` / `spool-max-size` (remote drivers only). */
  spool?: SpoolConfig;
  /** The config this outlet comes from (kept with a spool, which may outlive the workload). */
  config: LogConfig;
}

const CACHE_OPTS = ['cache-disabled', 'cache-max-size', 'cache-max-file', 'cache-compress'];
/** Options that apply to every driver of a workload, so they need no `driver:` scope. */
const SHARED_OPTS = new Set<string>([...GENERIC_LOG_OPTS, ...CACHE_OPTS]);

/**
 * The log configs of a create request, one per `--log-driver` in order. With one driver every
 * option is its own; with several, a driver's own option is scoped as `driver:key=value`.
 */
export function logConfigsOf(drivers: readonly string[], opts: Readonly<Record<string, string>>): LogConfig[] {
  const types = drivers.length ? [...drivers] : ['json-file'];
  const dup = types.find((t, i) => types.indexOf(t) !== i);
  if (dup) throw new OptionError(`log driver '${dup}' is given twice (--log-driver)`);
  if (types.length > 1 && types.includes('none')) throw new OptionError("log driver 'none' cannot be combined with other log drivers");
  const configs = types.map((type) => ({ type, config: {} as Record<string, string> }));
  for (const [key, value] of Object.entries(opts)) {
    const colon = key.indexOf(':');
    if (colon > 0) {
      const target = configs.find((c) => c.type === key.slice(0, colon));
      if (!target) throw new OptionError(`log opt '${key}' is for log driver '${key.slice(0, colon)}', which is not one of --log-driver (${types.join(', ')})`);
      target.config[key.slice(colon + 1)] = value;
    } else if (configs.length === 1 || SHARED_OPTS.has(key)) {
      for (const c of configs) c.config[key] = value;
    } else {
      throw new OptionError(`log opt '${key}' is ambiguous with several log drivers: scope it as <driver>:${key}=${value} (one of ${types.join(', ')})`);
    }
  }
  return configs;
}

/**
 * Checks every config (driver known, options valid) and lists the outlets a run opens: one per
 * driver, plus a local json-file cache when no driver can read its logs back, so `corral logs`
 * works whatever the driver (Docker's dual logging, with its cache-* options honoured).
 */
export function planOutlets(configs: readonly LogConfig[]): PlannedOutlet[] {
  const planned = configs.map((c) => plan(c));
  const first = configs[0];
  if (!first || !needsCache(configs)) return planned;
  const cache = cacheOptions(first.config);
  if (cache) planned.push({ def: jsonFile as DriverDefinition<unknown>, name: 'cache', delivery: splitDeliveryMode(pick(first.config, GENERIC_LOG_OPTS)).delivery, options: cache, requireHealthy: false, remote: false, config: first });
  return planned;
}

/** No driver reads back, and logs are not thrown away (`none`): the local cache is wanted (unless disabled). */
function needsCache(configs: readonly LogConfig[]): boolean {
  return configs.length > 0 && configs[0]!.type !== 'none' && !configs.some((c) => findDriver(c.type)?.openReader);
}

/**
 * Whether a run writes a local json-file log (a json-file driver, or the cache), from the configs
 * alone: only the options of drivers that say they may write it (json-file, journald) are parsed,
 * and no file is read, so ps and inspect stay cheap.
 */
export function keepsLocalLog(configs: readonly LogConfig[]): boolean {
  if (configs.some((c) => !findDriver(c.type))) return false; // a stored config this agent cannot run
  if (configs.some(writesLocalLog)) return true;
  const disabled = configs[0]?.config['cache-disabled'];
  return needsCache(configs) && !(disabled !== undefined && parseBool(disabled) === true);
}

/** The driver says its runs write the local log (only drivers whose options parse without reading files say so). */
function writesLocalLog(c: LogConfig): boolean {
  const def = findDriver(c.type);
  if (!def?.writesLocalLog) return false;
  try {
    return def.writesLocalLog(plan(c).options);
  } catch {
    return false; // a stored config this agent refuses: it writes nothing
  }
}

function plan(c: LogConfig): PlannedOutlet {
  const def = findDriver(c.type);
  if (!def) throw new OptionError(`logger: no log driver named '${c.type}' is registered (available: ${driverNames()})`);
  const { delivery, rest } = splitDeliveryMode(c.config);
  for (const k of CACHE_OPTS) delete rest[k];
  const healthKey = `${def.name}-require-healthy`;
  const requireHealthy = rest[healthKey] !== undefined && boolOpt(healthKey, rest[healthKey]!);
  delete rest[healthKey];
  const spool = splitSpoolOptions(rest, def.name, def.probe !== undefined || def.spool === true);
  // With a spool the outlet drains in the background after its run, as a remote one (journald too: a run's end never waits on a dead daemon).
  const remote = def.probe !== undefined || spool !== undefined;
  return { def, name: def.name, delivery, options: def.parseOptions(rest), requireHealthy, remote, config: c, ...(spool ? { spool } : {}) };
}

/** json-file options of the local cache (Docker's defaults: 20m x 5, compressed); undefined when disabled. */
function cacheOptions(config: Readonly<Record<string, string>>): unknown {
  if (config['cache-disabled'] !== undefined && boolOpt('cache-disabled', config['cache-disabled'])) return undefined;
  const opts = { 'max-size': config['cache-max-size'] ?? '20m', 'max-file': config['cache-max-file'] ?? '5', compress: config['cache-compress'] ?? 'true' };
  try {
    return jsonFile.parseOptions(opts);
  } catch (e) {
    // Name the key the user typed, not the json-file key it maps to.
    throw new OptionError((e as Error).message.replace(/\b(max-size|max-file|compress)\b/g, 'cache-$1'));
  }
}

function boolOpt(key: string, text: string): boolean {
  const v = parseBool(text);
  if (v === undefined) throw new OptionError(`invalid value "${text}" for log opt ${key}: expected true or false`);
  return v;
}

function pick(o: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k]!;
  return out;
}
