'use strict';
// A workload for follow latency: after a start delay, writes COUNT lines, one every INTERVAL
// ms, each carrying the CLOCK_MONOTONIC time (ns) of its write, which every process on the
// machine shares. Usage: node tick.js COUNT INTERVAL_MS DELAY_MS
const fs = require('node:fs');
const [count = 2000, interval = 1, delay = 0] = process.argv.slice(2).map(Number);
let i = 0;
function tick() {
  fs.writeSync(1, `tick ${String(i).padStart(6, '0')} ${process.hrtime.bigint()} ${'.'.repeat(40)}\n`);
  if (++i < count) setTimeout(tick, interval);
}
setTimeout(tick, delay);
