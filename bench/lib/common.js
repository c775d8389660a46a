'use strict';
// Shared pieces of the bench scripts: the gen workload, timing, medians, tables, and a
// private corral agent (its own data root in a temp folder) driven through the real CLI.
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.join(__dirname, '..', '..');
const PEERS = path.join(REPO, 'bench', '.peers');
const CORRAL = path.join(REPO, 'bin', 'corral');
const GEN_SRC = path.join(REPO, '..', 'shared', 'bench', 'gen.c');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function log(...a) { process.stderr.write(`${a.join(' ')}\n`); }

/** Parses `--key value` / `--flag` arguments. */
function args(defaults) {
  const o = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option --${m[1]} (known: ${Object.keys(defaults).map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(' ')})`);
    if (typeof defaults[key] === 'boolean') o[key] = m[2] === undefined ? true : m[2] !== 'false';
    else o[key] = typeof defaults[key] === 'number' ? Number(m[2] ?? argv[++i]) : (m[2] ?? argv[++i]);
  }
  return o;
}

function which(cmd) {
  for (const d of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(d, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

/** The gen workload (../shared/bench/gen.c), compiled once into bench/.peers/bin. */
function ensureGen() {
  const bin = path.join(PEERS, 'bin', 'gen');
  if (fs.existsSync(bin) && (!fs.existsSync(GEN_SRC) || fs.statSync(bin).mtimeMs >= fs.statSync(GEN_SRC).mtimeMs)) return bin;
  if (!fs.existsSync(GEN_SRC)) throw new Error(`${GEN_SRC} not found (the shared bench tools)`);
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  execFileSync('gcc', ['-O2', '-o', bin, GEN_SRC], { stdio: 'inherit' });
  return bin;
}

function ensureBuilt() {
  if (!fs.existsSync(path.join(REPO, 'dist', 'agent', 'cli', 'main.js'))) throw new Error('corral is not built: run `npm run build` first');
}

function tmpdir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `corral-bench-${tag}-`));
}

function median(xs) {
  const a = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((x, y) => x - y);
  if (!a.length) return undefined;
  return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
}

function quantile(xs, q) {
  const a = [...xs].sort((x, y) => x - y);
  if (!a.length) return undefined;
  return a[Math.min(a.length - 1, Math.floor(q * a.length))];
}

/** CPU seconds (user + system, all threads) a live process has used so far. */
function procCpu(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14, 15)
}

function fmt(x, digits = 2) {
  return x === undefined || x === null || Number.isNaN(x) ? '-' : Number(x).toFixed(digits);
}

/** Markdown table: header row + rows of cells. */
function table(header, rows) {
  const cell = (x) => String(x ?? '').replace(/\|/g, '\\|'); // a | inside a cell would end it
  header = header.map(cell);
  rows = rows.map((r) => r.map(cell));
  const w = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c ?? '').padEnd(w[i])).join(' | ')} |`;
  return [line(header), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Runs a command, resolves { code, wallS, stdout, stderr }. */
function run(cmd, argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const out = [];
    const err = [];
    c.stdout?.on('data', (d) => out.push(d));
    c.stderr?.on('data', (d) => err.push(d));
    c.once('error', reject);
    c.once('close', (code) => resolve({
      code, wallS: Number(process.hrtime.bigint() - t0) / 1e9,
      stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(),
    }));
  });
}

/** Wall time of a command run `n` times (after one unmeasured run): the samples in seconds. */
async function timeRuns(cmd, argv, n, opts = {}) {
  const samples = [];
  for (let i = -1; i < n; i++) {
    const r = await run(cmd, argv, opts);
    if (r.code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
    if (i >= 0) samples.push(r.wallS);
  }
  return samples;
}

/**
 * A corral agent of our own: its data root in a temp folder, started in the foreground as our
 * child (so we know its pid for CPU figures), driven through bin/corral like a user would.
 */
class Agent {
  constructor(dataRoot) {
    this.dataRoot = dataRoot;
    this.env = { ...process.env, CORRAL_ROOT: dataRoot, CORRAL_NO_AUTOSTART: '1' };
    this.proc = undefined;
  }

  async start() {
    fs.mkdirSync(this.dataRoot, { recursive: true });
    const logFd = fs.openSync(path.join(this.dataRoot, 'bench-agent.log'), 'a');
    this.proc = spawn(process.execPath, [CORRAL, 'agent'], { env: this.env, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    this.exited = new Promise((resolve) => this.proc.once('exit', resolve));
    for (let i = 0; i < 200; i++) {
      if (this.proc.exitCode !== null) break;
      const r = await this.cli(['ps', '-a', '-q'], { check: false });
      if (r.code === 0) return this;
      await new Promise((r2) => setTimeout(r2, 50));
    }
    throw new Error(`corral agent did not come up; see ${path.join(this.dataRoot, 'bench-agent.log')}`);
  }

  get pid() { return this.proc.pid; }
  cpu() { return procCpu(this.proc.pid); }

  async cli(argv, { check = true, ...opts } = {}) {
    const r = await run(process.execPath, [CORRAL, ...argv], { env: this.env, ...opts });
    if (check && r.code !== 0) throw new Error(`corral ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r;
  }

  async inspect(name) {
    return JSON.parse((await this.cli(['inspect', name])).stdout)[0];
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Seconds between two RFC3339Nano times (nanosecond precision kept). */
function rfcSeconds(a, b) {
  const ns = (t) => {
    const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(t);
    return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  };
  return Number(ns(b) - ns(a)) / 1e9;
}

/** Counts '\n' in a file (streaming). */
function countLines(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let n = 0;
  try {
    for (let r; (r = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) {
      for (let i = buf.indexOf(10, 0); i >= 0 && i < r; i = buf.indexOf(10, i + 1)) n++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return n;
}

/** Loads a compiled corral module, or undefined (with the reason) when it is not there (yet). */
function tryDist(mod, names) {
  try {
    const m = require(path.join(REPO, 'dist', mod));
    const missing = names.filter((n) => typeof m[n] !== 'function');
    return missing.length ? { reason: `dist/${mod} lacks ${missing.join(', ')}` } : { m };
  } catch (e) {
    return { reason: `dist/${mod}: ${e.message.split('\n')[0]}` };
  }
}

function machine() {
  const { native } = require(path.join(REPO, 'dist', 'engine', 'native', 'index.js'));
  return `${os.cpus().length} cores (${os.cpus()[0]?.model?.trim() ?? '?'}), Linux ${os.release()}, Node ${process.version}, native addon ${native ? 'on' : 'off (TypeScript fallback)'}`;
}

module.exports = {
  REPO, PEERS, CORRAL, CLK_TCK, log, args, which, ensureGen, ensureBuilt, tmpdir, median, quantile, procCpu, fmt, table,
  run, timeRuns, Agent, rfcSeconds, countLines, tryDist, machine,
};
