/**
 * A stop's grace period before SIGKILL, in seconds: 0 up to the longest a timer holds (2^31-1 ms,
 * about 24.8 days), or -1 for no SIGKILL at all (wait for the workload to exit), as Docker's -1.
 * Larger values are refused, not clamped: a timer would fire at once, and such a value is a typo.
 */
export const MAX_STOP_TIMEOUT_SEC = Math.floor(0x7fffffff / 1000);

/** What a stop timeout must be, for error messages. */
export const STOP_TIMEOUT_RANGE = `seconds from 0 to ${MAX_STOP_TIMEOUT_SEC}, or -1 to wait without SIGKILL`;

/** True for -1 and 0..MAX_STOP_TIMEOUT_SEC. */
export function validStopTimeout(n: number): boolean {
  return Number.isSafeInteger(n) && n >= -1 && n <= MAX_STOP_TIMEOUT_SEC;
}
