#!/usr/bin/env node
'use strict';
// Builds corral's optional native addon (engine/native/corral.c) with node-gyp; npm runs this
// on `npm ci` / `npm install` (the "install" script). It never fails the install: without a
// compiler the build is skipped with a warning and corral uses its TypeScript code instead.
// CORRAL_NO_NATIVE=1 skips the build.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = __dirname;

function warn(msg) {
  process.stderr.write(`corral: native addon not built (${msg}); falling back to the TypeScript implementation (slower ingest).\n`);
}

function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
}

/** The workload holder (holder.c): a plain program, so it only needs a C compiler. Without it, no live restore. */
function buildHolder() {
  const cc = process.env.CC || (onPath('cc') ? 'cc' : onPath('gcc') ? 'gcc' : undefined);
  const say = (msg) => process.stderr.write(`corral: workload holder not built (${msg}); workloads will not survive an agent restart.\n`);
  if (!cc) { say('no C compiler (cc/gcc) found'); return; }
  fs.mkdirSync(path.join(dir, 'build'), { recursive: true });
  const r = spawnSync(cc, ['-O2', '-Wall', '-o', path.join(dir, 'build', 'corral-holder'), path.join(dir, 'holder.c')], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.error || r.status !== 0) say(r.error ? r.error.message : `${cc} exited with ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-4).join(' ')}`);
}

function buildAddon() {
  if (process.env.CORRAL_NO_NATIVE === '1') { warn('CORRAL_NO_NATIVE=1'); return; }
  // npm hands its bundled node-gyp to scripts; else one on PATH.
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, pre] = gyp && fs.existsSync(gyp) ? [process.execPath, [gyp]] : ['node-gyp', []];
  if (cmd === 'node-gyp' && !onPath('node-gyp')) { warn('node-gyp not found'); return; }
  for (const tool of ['make', 'python3']) if (!onPath(tool)) { warn(`${tool} not found`); return; }
  const env = { ...process.env };
  // The addon is plain C: link with the C compiler when there is no C++ one (gyp links with $(CXX)).
  if (!onPath('g++') && !onPath('c++') && (onPath('cc') || onPath('gcc'))) {
    env.CXX = env.LINK = onPath('cc') ? 'cc' : 'gcc';
  }
  if (!onPath('cc') && !onPath('gcc') && !env.CC) { warn('no C compiler (cc/gcc) found'); return; }
  const r = spawnSync(cmd, [...pre, 'rebuild'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const tail = `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n').slice(-8).join('\n');
    warn(r.error ? r.error.message : `node-gyp exited with ${r.status}`);
    if (tail) process.stderr.write(`${tail}\n`);
    return;
  }
  // Load it once here so a broken build shows up now, not as a silent fallback later.
  try {
    require(path.join(dir, 'build', 'Release', 'corral_native.node'));
  } catch (e) {
    warn(`built but does not load: ${e.message.split('\n')[0]}`);
  }
}

// The addon first: node-gyp rebuild starts by emptying build/.
buildAddon();
buildHolder();
