'use strict';
// Preloaded into the soak's agent (NODE_OPTIONS="--expose-gc --require <this>"): on SIGUSR2 it
// writes the agent's memory to $SOAK_PROBE_OUT, as it was and after a full GC, so the bench can
// tell live data from garbage not yet collected. No async hooks (test/helpers/probe does those):
// nothing runs on the agent's hot path. Does nothing without that variable.
const fs = require('node:fs');
const v8 = require('node:v8');

const out = process.env.SOAK_PROBE_OUT;
if (out) {
  process.on('SIGUSR2', () => {
    const before = process.memoryUsage();
    globalThis.gc?.();
    const after = process.memoryUsage();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
    fs.writeFileSync(`${out}.tmp`, JSON.stringify({ before, after, spaces }));
    fs.renameSync(`${out}.tmp`, out);
  });
}
