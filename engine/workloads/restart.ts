import { RestartPolicy } from './spec';

/** Docker's restart back-off: 100 ms, doubling to at most a minute; reset after 10 s of running. */
export const FIRST_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;
export const RESET_AFTER_MS = 10_000;

export interface ExitFacts {
  exitCode: number;
  stoppedByUser: boolean;
  /** Restarts done so far under this policy. */
  restartCount: number;
}

/** Whether the policy restarts a workload that just exited. */
export function shouldRestart(p: RestartPolicy, f: ExitFacts): boolean {
  if (f.stoppedByUser) return false;
  switch (p.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return f.exitCode !== 0 && (p.maximumRetryCount === 0 || f.restartCount < p.maximumRetryCount);
    default:
      return false;
  }
}

/** The next delay, given the previous one and how long the last run lasted. */
export function nextDelay(previousMs: number, ranMs: number): number {
  if (ranMs >= RESET_AFTER_MS || previousMs === 0) return FIRST_DELAY_MS;
  return Math.min(previousMs * 2, MAX_DELAY_MS);
}
