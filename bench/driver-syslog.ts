/**
 * The syslog driver's throughput and CPU: lines offered to an Outlet (blocking, the driver's
 * batch policy) in 64 KiB pipe-sized groups of 100-byte lines, as the framer hands them over,
 * through syslog-client to a sink in a child process that counts messages (newlines on TCP,
 * datagrams on UDP; its work is not counted). Lines/s runs from the first offer() until the
 * sink holds every line; CPU is this process's (outlet + encoder + syslog-client).
 * Beside it: util-linux `logger -n 127.0.0.1 -P port -T` reading the same lines from a file
 * (one message per line, as the issue asks), timed the same way; its CPU from /usr/bin/time.
 * UDP may lose datagrams under load: its row says how many arrived and is timed to close().
 * Goal (issue): TCP >= 200,000 lines/s from one workload.
 *
 *   node dist/bench/driver-syslog.js [--lines 1000000] [--rounds 3] [--only id,id]
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { syslog } from '../drivers/syslog';
import { DriverContext } from '../engine/logs/driver';
import { LogMessage } from '../engine/logs/message';
import { splitDeliveryMode } from '../engine/logs/mode';
import { Outlet } from '../engine/logs/outlet';
import { LINE_BYTES, lineText, median, pipeChunks } from './lib/pipechunks';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const LINES = Number(arg('--lines') ?? 1_000_000);
const ROUNDS = Number(arg('--rounds') ?? 3);
const ONLY = arg('--only')?.split(',');

const CTX: DriverContext = { id: 'b'.repeat(64), name: 'bench', logDir: '', labels: {}, env: [], created: 0n, pid: () => process.pid };

interface Scenario { id: string; label: string; opts?: Record<string, string>; proto: 'tcp' | 'udp'; lines: number; logger?: boolean }
const SCENARIOS: Scenario[] = [
  { id: 'tcp-5424micro', label: 'TCP, rfc5424micro', opts: { 'syslog-format': 'rfc5424micro' }, proto: 'tcp', lines: LINES },
  { id: 'tcp-5424', label: 'TCP, rfc5424', opts: { 'syslog-format': 'rfc5424' }, proto: 'tcp', lines: LINES },
  { id: 'tcp-3164', label: 'TCP, rfc3164', opts: { 'syslog-format': 'rfc3164' }, proto: 'tcp', lines: LINES },
  { id: 'tcp-unix', label: 'TCP, "" (unix format)', opts: {}, proto: 'tcp', lines: LINES },
  { id: 'udp-5424', label: 'UDP, rfc5424 (arrived / sent)', opts: { 'syslog-format': 'rfc5424' }, proto: 'udp', lines: Math.ceil(LINES / 5) },
  { id: 'logger', label: 'logger -n -P -T --rfc5424 (util-linux)', proto: 'tcp', lines: LINES, logger: true },
];


/** The bench's lines, as the framer hands them on. */
function chunks(n: number): LogMessage[][] {
  const t0 = BigInt(Date.now()) * 1_000_000n;
  return pipeChunks(n, (line) => t0 + BigInt(line) * 1000n);
}

/** A counting sink in a child: TCP counts newlines, UDP counts datagrams; "count" / "reset" on stdin. */
class Sink {
  private readonly answers: ((line: string) => void)[] = [];
  private constructor(private readonly child: ChildProcess, readonly port: number, lines: readline.Interface) {
    lines.on('line', (l) => this.answers.shift()?.(l));
  }

  static start(): Promise<Sink> {
    const code = `
      const net = require('node:net'), dgram = require('node:dgram');
      let n = 0;
      const tcp = net.createServer((s) => s.on('data', (d) => { for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) n++; }));
      tcp.listen(0, '127.0.0.1', () => {
        const port = tcp.address().port;
        const udp = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
        udp.on('message', () => n++);
        udp.bind(port, '127.0.0.1', () => console.log(port));
      });
      require('node:readline').createInterface({ input: process.stdin })
        .on('line', (l) => { if (l === 'reset') n = 0; console.log(String(n)); })
        .on('close', () => process.exit(0));`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout! });
    return new Promise((resolve) => lines.once('line', (port) => resolve(new Sink(child, Number(port), lines))));
  }

  ask(what: 'count' | 'reset'): Promise<number> {
    return new Promise((resolve) => { this.answers.push((l) => resolve(Number(l))); this.child.stdin!.write(`${what}\n`); });
  }

  /** Polls until n messages arrived (or they stop arriving, for UDP's losses). */
  async waitFor(n: number): Promise<number> {
    let got = -1;
    for (let i = 0, still = 0; i < 3000 && still < 20; i++) {
      const now = await this.ask('count');
      if (now >= n) return now;
      still = now === got ? still + 1 : 0;
      got = now;
      await new Promise((r) => setTimeout(r, 5));
    }
    return got;
  }

  close(): void { this.child.stdin!.end(); }
}

async function throughOutlet(s: Scenario, sink: Sink, groups: LogMessage[][]): Promise<void> {
  const { delivery, rest } = splitDeliveryMode({ 'syslog-address': `${s.proto}://127.0.0.1:${sink.port}`, ...s.opts });
  const driver = await syslog.create(syslog.parseOptions(rest), CTX);
  const outlet = new Outlet(driver, { delivery, batch: syslog.batch, onError: (e) => process.stderr.write(`${s.id}: ${e.message}\n`) });
  for (const g of groups) if (!outlet.offer(g)) await outlet.whenDrained();
  await outlet.close();
  const dropped = Object.values(outlet.stats.dropped).reduce((a, b) => a + b, 0);
  if (outlet.stats.sent !== s.lines || dropped) throw new Error(`${s.id}: sent ${outlet.stats.sent}, dropped ${dropped}`);
}

/** util-linux logger reading the lines from a file; returns its user+system CPU seconds. */
function runLogger(port: number, file: string, dir: string): Promise<number> {
  const timeFile = path.join(dir, 'time.txt');
  const cmd = `/usr/bin/time -f '%U %S' -o '${timeFile}' logger -n 127.0.0.1 -P ${port} -T --rfc5424=notq -t bench < '${file}'`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`logger exited ${code}`));
      const [u, sys] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      resolve(u! + sys!);
    });
  });
}


async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-bench-syslog-'));
  const sink = await Sink.start();
  const chosen = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.id));
  const data = new Map(chosen.map((s) => [s.lines, chunks(s.lines)]));
  const linesFile = path.join(dir, 'lines.txt');
  if (chosen.some((s) => s.logger)) fs.writeFileSync(linesFile, Array.from({ length: LINES }, (_, i) => lineText(i) + '\n').join(''));
  const rows = new Map<string, { rate: number[]; cpu: number[]; kept: number[] }>(chosen.map((s) => [s.id, { rate: [], cpu: [], kept: [] }]));
  for (let round = 0; round <= ROUNDS; round++) { // round 0 warms up
    for (const s of chosen) {
      await sink.ask('reset');
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let cpuSeconds: number;
      let got: number;
      if (s.logger) {
        cpuSeconds = await runLogger(sink.port, linesFile, dir);
        got = await sink.waitFor(s.lines);
      } else {
        await throughOutlet(s, sink, data.get(s.lines)!);
        const cpu = process.cpuUsage(c0);
        cpuSeconds = (cpu.user + cpu.system) / 1e6;
        if (s.proto === 'udp') { const closed = process.hrtime.bigint(); got = await sink.waitFor(s.lines); rows.get(s.id)!.kept.push(got / s.lines); if (round) rows.get(s.id)!.rate.push(s.lines / (Number(closed - t0) / 1e9)); }
        else got = await sink.waitFor(s.lines);
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (s.proto === 'tcp' && got !== s.lines) throw new Error(`${s.id}: the sink got ${got} of ${s.lines} lines`);
      if (round === 0) continue;
      if (s.proto === 'tcp') rows.get(s.id)!.rate.push(s.lines / seconds);
      rows.get(s.id)!.cpu.push(cpuSeconds * (1e6 / s.lines));
    }
  }
  sink.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`syslog driver, ${LINES.toLocaleString('en')} lines of ${LINE_BYTES} bytes (UDP: a fifth), medians of ${ROUNDS} rounds`);
  console.log(`${'scenario'.padEnd(42)} ${'lines/s'.padStart(10)} ${'CPU s / M lines'.padStart(16)}`);
  for (const s of chosen) {
    const r = rows.get(s.id)!;
    const kept = r.kept.length ? `  (${(median(r.kept) * 100).toFixed(1)}% arrived)` : '';
    console.log(`${s.label.padEnd(42)} ${Math.round(median(r.rate)).toLocaleString('en').padStart(10)} ${median(r.cpu).toFixed(2).padStart(16)}${kept}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
