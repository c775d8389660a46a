/**
 * The journald driver's throughput and CPU: lines offered to an Outlet (blocking, the driver's
 * batch policy) in 64 KiB pipe-sized groups of 100-byte lines, as the framer hands them over,
 * through the native socket to a real systemd-journald (the machine's, or a standalone one the
 * bench starts and stops, with rate limiting off). Lines/s runs from the first offer() until
 * the journal holds the last line (its CONTAINER_LOG_ORDINAL, read with journalctl -n 1); CPU
 * is this process's (outlet + encoder + sends), journald's own CPU is shown beside it.
 * Beside it: `systemd-cat` reading the same lines from a file (journald's stdout stream
 * protocol: journald splits the lines), timed the same way; its CPU from /usr/bin/time.
 * And end to end: a private corral agent (its own data root and cgroup parent) running
 * `cat lines.txt` with --log-driver journald; its CPU is the agent's (pipes, framer, outlet,
 * driver), timed from `run -d` until the journal holds the last line.
 *
 *   node dist/bench/driver-journald.js [--lines 1000000] [--rounds 3] [--only corral,systemd-cat]
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { journald } from '../drivers/journald';
import { DriverContext } from '../engine/logs/driver';
import { splitDeliveryMode } from '../engine/logs/mode';
import { Outlet } from '../engine/logs/outlet';
import { TestAgent } from '../test/helpers/cli';
import { TestJournal } from '../test/helpers/peers/journald';
import { LINE_BYTES, lineText, median, pipeChunks } from './lib/pipechunks';

process.env['CORRAL_SOCKET_GROUP'] = 'root';
const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const LINES = Number(arg('--lines') ?? 1_000_000);
const ROUNDS = Number(arg('--rounds') ?? 3);
const ONLY = arg('--only')?.split(',');
const WAIT_MS = 600_000;

/** /proc's clock ticks per second (USER_HZ, 100 on Linux). */
const USER_HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** journald's user+system CPU seconds so far (from /proc), or NaN when its pid is unknown. */
function journaldCpu(): number {
  try {
    const pid = execFileSync('pgrep', ['-x', 'systemd-journal'], { encoding: 'utf8' }).trim().split('\n')[0];
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / USER_HZ;
  } catch {
    return NaN;
  }
}

/** The newest entry matching `match` (journalctl -n 1), or undefined. */
function newest(match: string): Record<string, string> | undefined {
  const out = execFileSync('journalctl', ['-o', 'json', '-n', '1', '--no-pager', '-q', match], { encoding: 'utf8' }).trim();
  return out ? JSON.parse(out) as Record<string, string> : undefined;
}

async function until(what: string, f: () => boolean): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!f()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

async function corralRound(lines: number): Promise<{ seconds: number; cpu: number }> {
  const id = randomBytes(32).toString('hex');
  const ctx: DriverContext = { id, name: 'bench', logDir: '', labels: {}, env: [], created: 0n, pid: () => process.pid };
  const t0n = BigInt(Date.now()) * 1_000_000n;
  const groups = pipeChunks(lines, (line) => t0n + BigInt(line) * 1000n);
  const { delivery } = splitDeliveryMode({});
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const outlet = new Outlet(await journald.create(journald.parseOptions({}), ctx), { delivery, batch: journald.batch, retry: journald.retry });
  for (const g of groups) if (!outlet.offer(g)) await outlet.whenDrained();
  await outlet.close();
  const cpu = process.cpuUsage(c0);
  const dropped = Object.values(outlet.stats.dropped).reduce((a, b) => a + b, 0);
  if (outlet.stats.sent !== lines || dropped) throw new Error(`sent ${outlet.stats.sent}, dropped ${dropped}`);
  await until('the last line in the journal', () => newest(`CONTAINER_ID_FULL=${id}`)?.['CONTAINER_LOG_ORDINAL'] === String(lines));
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function systemdCatRound(file: string, lines: number, dir: string): Promise<{ seconds: number; cpu: number }> {
  const tag = `corral-bench-${randomBytes(6).toString('hex')}`;
  const timeFile = path.join(dir, 'time.txt');
  const t0 = process.hrtime.bigint();
  const cpu = await new Promise<number>((resolve, reject) => {
    const child = spawn('sh', ['-c', `/usr/bin/time -f '%U %S' -o '${timeFile}' systemd-cat -t '${tag}' < '${file}'`], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`systemd-cat exited ${code}`));
      const [u, s] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      resolve(u! + s!);
    });
  });
  const last = lineText(lines - 1);
  await until('systemd-cat\'s last line in the journal', () => newest(`SYSLOG_IDENTIFIER=${tag}`)?.['MESSAGE'] === last);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpu };
}

function pidCpu(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}

async function agentRound(agent: TestAgent, file: string, lines: number): Promise<{ seconds: number; cpu: number }> {
  const pid = Number(fs.readFileSync(path.join(agent.root, 'agent.pid'), 'utf8'));
  const c0 = pidCpu(pid);
  const t0 = process.hrtime.bigint();
  const r = await agent.run(['run', '-d', '--log-driver', 'journald', '--', 'cat', file]);
  if (r.code !== 0) throw new Error(`corral run: ${r.stderr}`);
  const id = r.stdout.trim();
  await until('the workload\'s last line in the journal', () => newest(`CONTAINER_ID_FULL=${id}`)?.['CONTAINER_LOG_ORDINAL'] === String(lines));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = pidCpu(pid) - c0;
  await agent.run(['rm', '-f', id]);
  return { seconds, cpu };
}

async function main(): Promise<void> {
  const journal = await TestJournal.acquire();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-bench-journald-'));
  const file = path.join(dir, 'lines.txt');
  const agent = new TestAgent();
  const rows = [
    { id: 'agent', label: 'corral agent, cat of the lines (agent CPU)', run: () => agentRound(agent, file, LINES) },
    { id: 'corral', label: 'corral journald driver (native socket)', run: () => corralRound(LINES) },
    { id: 'systemd-cat', label: 'systemd-cat < file (stdout stream)', run: () => systemdCatRound(file, LINES, dir) },
  ].filter((r) => !ONLY || ONLY.includes(r.id));
  const results = new Map(rows.map((r) => [r.id, { rate: [] as number[], cpu: [] as number[], jd: [] as number[] }]));
  try {
    fs.writeFileSync(file, Array.from({ length: LINES }, (_, i) => lineText(i) + '\n').join(''));
    if (rows.some((r) => r.id === 'agent')) await agent.start();
    for (let round = 0; round <= ROUNDS; round++) { // round 0 warms up
      for (const r of rows) {
        const j0 = journaldCpu();
        const { seconds, cpu } = await r.run();
        const jd = journaldCpu() - j0;
        if (round === 0) continue;
        const res = results.get(r.id)!;
        res.rate.push(LINES / seconds);
        res.cpu.push(cpu * (1e6 / LINES));
        res.jd.push(jd * (1e6 / LINES));
      }
    }
  } finally {
    await agent.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    await journal.release();
  }
  console.log(`journald, ${LINES.toLocaleString('en')} lines of ${LINE_BYTES} bytes from one writer, medians of ${ROUNDS} rounds`);
  console.log(`${'writer'.padEnd(42)} ${'lines/s'.padStart(10)} ${'writer CPU s / M'.padStart(17)} ${'journald CPU s / M'.padStart(19)}`);
  for (const r of rows) {
    const res = results.get(r.id)!;
    console.log(`${r.label.padEnd(42)} ${Math.round(median(res.rate)).toLocaleString('en').padStart(10)} ${median(res.cpu).toFixed(2).padStart(17)} ${median(res.jd).toFixed(2).padStart(19)}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
