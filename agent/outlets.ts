import { DriverContext } from '../engine/logs/driver';
import { Outlet } from '../engine/logs/outlet';
import { PlannedOutlet } from './logplan';

/**
 * Opens the outlets of one run; if one driver fails to open, those already open are closed.
 * A local driver's failing writes (a full disk) are an event once per episode (`log-write-error`),
 * not once per retry.
 */
export async function openOutlets(
  plan: readonly PlannedOutlet[], ctx: DriverContext, warn: (text: string) => void,
  event: (action: string, attrs: Record<string, string>) => void = () => {},
): Promise<Outlet[]> {
  const opened: Outlet[] = [];
  try {
    for (const p of plan) {
      const driver = await p.def.create(p.options, ctx);
      const onError = (e: Error, first: boolean) => {
        warn(`${p.name}: ${e.message}`);
        if (first && !p.remote) event('log-write-error', { driver: p.name, error: e.message });
      };
      opened.push(new Outlet(driver, { delivery: p.delivery, batch: p.def.batch, retry: p.def.retry, name: p.name, remote: p.remote, onError }));
    }
    return opened;
  } catch (e) {
    await Promise.all(opened.map((o) => o.close(0)));
    throw e;
  }
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
