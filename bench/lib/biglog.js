'use strict';
// The 1 GiB json-file log that bench/tail and bench/since read: written once by a real corral
// agent (a gen workload named "big", no rotation) into a data root kept under the temp folder,
// and reused by later runs. BENCH_DATA overrides where it lives.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const c = require('./common');

const GiB = 1 << 30;
const ENTRY = 170; // bytes of one gen line as a json-file entry, about

function dataRoot() {
  return process.env.BENCH_DATA || path.join(os.tmpdir(), 'corral-bench-data');
}

/** Starts an agent on the kept data root; makes the 1 GiB log first if it is not there. */
async function openBigLog({ size = GiB } = {}) {
  const root = dataRoot();
  const agent = await new c.Agent(root).start();
  try {
    let info = await agent.inspect('big').catch(() => undefined);
    const have = info && fs.existsSync(info.LogPath) ? fs.statSync(info.LogPath).size : 0;
    if (!info || info.State.Running || have < size) {
      if (info) await agent.cli(['rm', '-f', 'big']);
      const lines = Math.ceil(size / ENTRY * 1.01);
      c.log(`writing the ${(size / GiB).toFixed(2)} GiB log once (${lines.toLocaleString('en')} lines through the agent) into ${root} ...`);
      await agent.cli(['run', '-d', '--name', 'big', '--', c.ensureGen(), String(lines)]);
      await agent.cli(['wait', 'big']);
      info = await agent.inspect('big');
    }
    const file = info.LogPath;
    return { agent, file, bytes: fs.statSync(file).size, root };
  } catch (e) {
    await agent.stop();
    throw e;
  }
}

/** The time text of the first entry at or after byte offset `at` of the file. */
function timeAt(file, at) {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, at);
    const start = buf.indexOf(10) + 1;
    const end = buf.indexOf(10, start);
    if (start <= 0 || end < 0 || end > n) throw new Error(`no whole entry at byte ${at}`);
    return JSON.parse(buf.toString('utf8', start, end)).time;
  } finally {
    fs.closeSync(fd);
  }
}

module.exports = { openBigLog, timeAt, GiB };
