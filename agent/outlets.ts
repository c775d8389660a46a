import { DriverContext } from '../engine/logs/driver';
import { Outlet } from '../engine/logs/outlet';
import { Spool } from '../engine/logs/spool';
import { spoolHasData } from '../engine/logs/spoolrecover';
import { SpoolSet } from '../engine/logs/spoolset';
import { spoolDirOf } from '../engine/logs/spoolopts';
import { PlannedOutlet } from './logplan';
import { SpoolOwner } from './spools';

/** The outlet name of corral's local json-file cache, in stats and metrics. */
const CACHE_OUTLET = 'cache';

/** The agent's open spools and `<data-root>/spool` (what `spool-dir=default` means). */
export interface SpoolAccess {
  set: SpoolSet;
  root: string;
  /** A spool-dir in use (so the agent finds what it holds after a restart, its workload gone or not). */
  remember(root: string): void;
}

/**
 * Opens the outlets of one run; if one driver fails to open, those already open are closed.
 * A local driver's failing writes (a full disk) are an event once per episode (`log-write-error`),
 * not once per retry.
 */
export async function openOutlets(
  plan: readonly PlannedOutlet[], ctx: DriverContext, warn: (text: string) => void,
  event: (action: string, attrs: Record<string, string>) => void, spools: SpoolAccess,
): Promise<Outlet[]> {
  const opened: Outlet[] = [];
  try {
    for (const p of plan) {
      const spool = p.spool ? openSpool(p, ctx, spools, warn, event) : undefined; // undefined: unusable, warned
      let driver;
      try {
        driver = await p.def.create(p.options, ctx);
      } catch (e) {
        spool?.unref();
        throw e;
      }
      // A driver that opened the local cache instead of itself (journald-require=false without
      // journald) counts its lines as `cache`: they never reached the driver's own store.
      const name = driver.name === p.def.name ? p.name : CACHE_OUTLET;
      const onError = (e: Error, first: boolean) => {
        warn(`${name}: ${e.message}`);
        if (first && !p.remote) event('log-write-error', { driver: name, error: e.message });
      };
      opened.push(new Outlet(driver, { delivery: p.delivery, batch: p.def.batch, retry: p.def.retry, name, remote: p.remote, daemon: p.def.daemon === true && !p.remote, onError, spool }));
    }
    return opened;
  } catch (e) {
    // A spool outlet would keep sending what an earlier run left: it stays on disk instead.
    await Promise.all(opened.map((o) => { if (o.spooledBytes !== undefined) o.abortNow(); return o.close(0); }));
    throw e;
  }
}

/** A planned outlet's spool, `<spool-dir>/<workload-id>/<driver>/` (shared with an earlier run's outlet still sending from it). */
function openSpool(
  p: PlannedOutlet, ctx: DriverContext, spools: SpoolAccess, warn: (text: string) => void,
  event: (action: string, attrs: Record<string, string>) => void,
): Spool | undefined {
  const dir = spoolDirOf(p.spool!, spools.root, ctx.id, p.name);
  const owner: SpoolOwner = {
    log: p.config,
    workload: { id: ctx.id, name: ctx.name, labels: { ...ctx.labels }, env: [...ctx.env], created: String(ctx.created) },
  };
  try {
    spools.remember(p.spool!.dir === 'default' ? spools.root : p.spool!.dir);
    return spools.set.acquire({
      dir, maxBytes: p.spool!.maxBytes, meta: owner,
      warn: (text) => { warn(`${p.name}: ${text}`); event('log-spool-warning', { driver: p.name, warning: text }); },
    });
  } catch (e) {
    // A spool folder that cannot be made (or read) must not stop the workload, nor its adoption after a restart.
    const text = `log opt spool-dir: cannot use ${dir}: ${(e as Error).message}; this run's ${p.name} outlet has no spool`;
    warn(text);
    event('log-spool-warning', { driver: p.name, warning: text });
    return undefined;
  }
}

/**
 * The remote outlets whose spools hold lines left by an earlier agent, for a workload that is not
 * running (the agent's start): opened only to send those lines.
 */
export async function openSpooledOutlets(
  plan: readonly PlannedOutlet[], ctx: DriverContext, warn: (text: string) => void,
  event: (action: string, attrs: Record<string, string>) => void, spools: SpoolAccess,
): Promise<Outlet[]> {
  const withData = plan.filter((p) => p.spool && spoolHasData(spoolDirOf(p.spool, spools.root, ctx.id, p.name)));
  return withData.length ? openOutlets(withData, ctx, warn, event, spools) : [];
}

/** How long `run` waits for a log server to answer before warning: a check, never a hang. */
export const PROBE_TIMEOUT_MS = 1500;

/**
 * Asks each remote driver's server whether it answers. Unreachable ones give a warning, or an
 * error for a driver with `<driver>-require-healthy=true`; lines are buffered and retried either way.
 */
export async function probeOutlets(plan: readonly PlannedOutlet[], ctx: DriverContext): Promise<{ warnings: string[]; errors: string[] }> {
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const p of plan) {
    try {
      p.def.preflight?.(p.options);
    } catch (e) {
      errors.push(`log driver ${p.name}: ${(e as Error).message}`);
    }
  }
  await Promise.all(plan.map(async (p) => {
    if (!p.def.probe) return;
    try {
      await withTimeout(p.def.probe(p.options, ctx, PROBE_TIMEOUT_MS), PROBE_TIMEOUT_MS + 500, `no answer within ${PROBE_TIMEOUT_MS} ms`);
    } catch (e) {
      const text = `log driver ${p.name}: server not reachable: ${(e as Error).message}`;
      if (p.requireHealthy) errors.push(`${text} (${p.name}-require-healthy=true)`);
      else warnings.push(`${text}; lines are kept and sent when it answers (--log-opt ${p.name}-require-healthy=true makes this an error)`);
    }
  }));
  return { warnings, errors };
}

/** A probe that ignores its own timeout must not hold `run` either. */
function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
