'use strict';
// corral's log pipeline in this process, as the agent runs it for one workload's stdout:
// pipe -> pumpStream -> LineFramer -> Router -> Outlet(blocking) -> json-file driver with rotation.
// Used by bench/ingest for the in-process figures (no agent, no CLI, no API in the way).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const DIST = path.join(__dirname, '..', '..', 'dist');
const need = (m) => require(path.join(DIST, m));

/**
 * Runs `cmd args` with its stdout through the pipeline into dir; resolves with
 * { lines, sent, dropped, wallS, cpuS } once the child ended and everything was written.
 * pipeBytes: give the child a real pipe of that size (native addon) instead of Node's socketpair.
 */
async function runPipeline({ cmd, args, dir, maxSize = 10e6, maxFiles = 3, pipeBytes = 0, maxBufferBytes = 1 << 20 }) {
  // maxSize null: one file, no rotation.
  const { LineFramer } = need('engine/logs/framer');
  const { WallClock, StreamClock } = need('engine/logs/clock');
  const { Outlet } = need('engine/logs/outlet');
  const { Router } = need('engine/logs/router');
  const { openJsonFileDriver } = need('drivers/json-file/index');
  const { native } = need('engine/native/index');
  const id = 'b'.repeat(64);
  if (maxSize === null) maxFiles = 1;
  fs.mkdirSync(dir, { recursive: true });
  const driver = openJsonFileDriver({ maxSize, maxFiles, compress: false, attrs: {} },
    { id, name: 'bench', logDir: dir, labels: {}, env: [], created: 0n });
  const outlet = new Outlet(driver, { delivery: { mode: 'blocking', maxBufferBytes }, batch: { maxEvents: 1 << 20, maxBytes: 64 << 20, flushMs: 0 } });
  const router = new Router();
  router.add(outlet);
  const framer = new LineFramer('stdout', new StreamClock(new WallClock()));

  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let stream;
  let child;
  if (pipeBytes > 0 && native) {
    const [r, w] = native.createPipe(pipeBytes);
    child = spawn(cmd, args, { stdio: ['ignore', w, 'inherit'] });
    fs.closeSync(w);
    stream = new net.Socket({ fd: r, readable: true, writable: false });
  } else {
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    stream = child.stdout;
  }
  let lines = 0;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let pump;
  try { pump = need('engine/logs/pump').pumpStream; } catch { /* older tree: the same loop inline */ }
  if (pump) {
    const counts = { messages: { stdout: 0, stderr: 0 }, bytes: 0 };
    await pump(stream, framer, router, counts);
    lines = counts.messages.stdout;
  } else {
    await new Promise((resolve, reject) => {
      stream.on('data', (chunk) => {
        const msgs = framer.push(chunk);
        lines += msgs.length;
        if (!router.publish(msgs)) {
          stream.pause();
          void router.whenDrained().then(() => stream.resume());
        }
      });
      stream.once('end', () => { const m = framer.end(); lines += m.length; router.publish(m); resolve(); });
      stream.once('error', reject);
    });
  }
  await exited;
  await outlet.close();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cu = process.cpuUsage(c0);
  const dropped = Object.values(outlet.stats.dropped).reduce((a, b) => a + b, 0);
  return { lines, sent: outlet.stats.sent, dropped, wallS, cpuS: (cu.user + cu.system) / 1e6, logFile: path.join(dir, `${id}-json.log`) };
}

module.exports = { runPipeline };

// As a script: `node pipeline.js CMD ARGS...` runs the pipeline twice (the first warms up)
// into a temp folder and prints the second run's figures as JSON (bench/ingest runs it with
// CORRAL_NO_NATIVE=1 for the TypeScript-only figures).
if (require.main === module) {
  (async () => {
    const os = require('node:os');
    const [cmd, ...args] = process.argv.slice(2);
    let r;
    for (let i = 0; i < 2; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-bench-pipe-'));
      try { r = await runPipeline({ cmd, args, dir }); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
    }
    process.stdout.write(`${JSON.stringify(r)}\n`);
  })().catch((e) => { console.error(e); process.exit(1); });
}
