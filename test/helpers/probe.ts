import { createHook } from 'node:async_hooks';
import * as fs from 'node:fs';

/**
 * Preloaded into a test's agent (NODE_OPTIONS="--expose-gc --require <this>") so a test can see
 * from outside what the agent holds. It tracks every live async resource but promises (timers
 * are "Timeout", unref'd ones included, which process.getActiveResourcesInfo() leaves out); on
 * SIGUSR2 it collects garbage and writes those counts by type, its open fds and its memory to
 * $CORRAL_PROBE_OUT. Does nothing without that variable.
 */
const out = process.env['CORRAL_PROBE_OUT'];
if (out) {
  const live = new Map<number, string>();
  createHook({
    init(id, type) { if (type !== 'PROMISE') live.set(id, type); },
    destroy(id) { live.delete(id); },
  }).enable();
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const resources: Record<string, number> = {};
    for (const type of live.values()) resources[type] = (resources[type] ?? 0) + 1;
    const report = { resources, fds: fs.readdirSync('/proc/self/fd').length, ...process.memoryUsage() };
    fs.writeFileSync(`${out}.tmp`, JSON.stringify(report));
    fs.renameSync(`${out}.tmp`, out);
  });
}

export interface ProbeReport {
  /** Live async resources by type: Timeout, PROCESSWRAP, PIPEWRAP, FSEVENTWRAP, FSREQCALLBACK, ... */
  resources: Record<string, number>;
  fds: number;
  rss: number;
  heapUsed: number;
  external: number;
}
