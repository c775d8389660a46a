/**
 * The official driver, loaded on first use: the agent lists every driver at start-up, and
 * `mongodb` takes ~150 ms to load, which only workloads that log to MongoDB should pay.
 */
export function mongo(): typeof import('mongodb') {
  return require('mongodb') as typeof import('mongodb');
}
