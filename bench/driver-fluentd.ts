/**
 * The fluentd driver's throughput and CPU: lines offered to an Outlet (blocking, the driver's
 * batch policy) in 64 KiB pipe-sized groups of 100-byte lines, as the framer hands them over,
 * through fluent-logger to the Forward peer of the tests running in a child process (so its
 * decoding is not counted). Lines/s runs from the first offer() to close() resolving (everything
 * written, or acked with request-ack); CPU is this process's (outlet + driver + fluent-logger).
 * Every run checks that the peer got every line. The "fluent-logger alone" row emits the same
 * records straight into the library, with no outlet or driver: the floor this driver stands on.
 * Goal (issue): PackedForward >= 300,000 lines/s, <= 1 CPU s per million lines.
 *
 *   node dist/bench/driver-fluentd.js [--lines 1000000] [--rounds 3] [--only id,id]
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import fluentLogger from 'fluent-logger';
import { fluentd } from '../drivers/fluentd';
import { DriverContext } from '../engine/logs/driver';
import { LogMessage } from '../engine/logs/message';
import { splitDeliveryMode } from '../engine/logs/mode';
import { Outlet } from '../engine/logs/outlet';
import { LINE_BYTES, median, pipeChunks } from './lib/pipechunks';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const LINES = Number(arg('--lines') ?? 1_000_000);
const ROUNDS = Number(arg('--rounds') ?? 3);
const ONLY = arg('--only')?.split(',');

const CTX: DriverContext = { id: 'b'.repeat(64), name: 'bench', logDir: '', labels: {}, env: [], created: 0n, pid: () => 0 };

interface Scenario { id: string; label: string; opts: Record<string, string>; lines: number }
const SCENARIOS: Scenario[] = [
  { id: 'packed', label: 'PackedForward (default)', opts: {}, lines: LINES },
  { id: 'packed-ns', label: 'PackedForward, sub-second precision', opts: { 'fluentd-sub-second-precision': 'true' }, lines: LINES },
  { id: 'packed-ack', label: 'PackedForward, request-ack', opts: { 'fluentd-request-ack': 'true' }, lines: LINES },
  { id: 'gzip', label: 'CompressedPackedForward', opts: { 'fluentd-event-mode': 'CompressedPackedForward' }, lines: LINES },
  { id: 'message', label: 'Message (one request per line)', opts: { 'fluentd-event-mode': 'Message' }, lines: Math.ceil(LINES / 10) },
  { id: 'lib', label: 'fluent-logger alone (PackedForward)', opts: {}, lines: LINES },
];

/** The bench's lines, as the framer hands them on. */
function chunks(n: number): LogMessage[][] {
  const t0 = BigInt(Date.now()) * 1_000_000n;
  return pipeChunks(n, (line) => t0 + BigInt(line));
}

/** The test peer in a child: prints its port; answers "count" with the events it holds, "reset" clears them. */
class ChildPeer {
  private readonly answers: ((line: string) => void)[] = [];
  private constructor(private readonly child: ChildProcess, readonly port: number, lines: readline.Interface) {
    lines.on('line', (l) => this.answers.shift()?.(l));
  }

  static start(): Promise<ChildPeer> {
    const peerModule = path.join(__dirname, '..', 'test', 'helpers', 'peers', 'fluentd.js');
    const code = `const { FluentdPeer } = require(${JSON.stringify(peerModule)});
      FluentdPeer.start().then((p) => {
        console.log(p.address.split(':')[1]);
        require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
          if (l === 'reset') { p.events.length = 0; p.requests.length = 0; console.log('ok'); }
          else console.log(String(p.events.length));
        }).on('close', () => p.close().then(() => process.exit(0)));
      });`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout! });
    return new Promise((resolve) => lines.once('line', (port) => resolve(new ChildPeer(child, Number(port), lines))));
  }

  ask(what: 'count' | 'reset'): Promise<string> {
    return new Promise((resolve) => { this.answers.push(resolve); this.child.stdin!.write(`${what}\n`); });
  }

  async waitFor(n: number): Promise<number> {
    let got = 0;
    for (let i = 0; i < 600 && got < n; i++) {
      got = Number(await this.ask('count'));
      if (got < n) await new Promise((r) => setTimeout(r, 50));
    }
    return got;
  }

  close(): void { this.child.stdin!.end(); }
}

async function throughOutlet(s: Scenario, port: number, groups: LogMessage[][]): Promise<void> {
  const { delivery, rest } = splitDeliveryMode({ 'fluentd-address': `127.0.0.1:${port}`, ...s.opts });
  const driver = await fluentd.create(fluentd.parseOptions(rest), CTX);
  const outlet = new Outlet(driver, { delivery, batch: fluentd.batch, onError: (e) => process.stderr.write(`${s.id}: ${e.message}\n`) });
  for (const g of groups) if (!outlet.offer(g)) await outlet.whenDrained();
  await outlet.close();
  const dropped = Object.values(outlet.stats.dropped).reduce((a, b) => a + b, 0);
  if (outlet.stats.sent !== s.lines || dropped) throw new Error(`${s.id}: sent ${outlet.stats.sent}, dropped ${dropped}`);
}

/** The same records straight into fluent-logger, one emit per line, one callback per group. */
async function libraryAlone(port: number, groups: LogMessage[][]): Promise<void> {
  const sender = fluentLogger.createFluentSender<Record<string, string>>(CTX.id.slice(0, 12), {
    host: '127.0.0.1', port, eventMode: 'PackedForward', flushInterval: 1, sendQueueSizeLimit: 1, internalLogger: { info: () => {}, error: () => {} },
  });
  for (const g of groups) {
    await new Promise<void>((resolve, reject) => {
      g.forEach((m, i) => {
        const rec = { container_id: CTX.id, container_name: '/bench', source: m.stream, log: m.line.toString('utf8') };
        sender.emit(rec, Number(m.time / 1_000_000_000n), i === g.length - 1 ? (e?: Error) => (e ? reject(e) : resolve()) : undefined);
      });
    });
  }
  sender.end(null as unknown as string, null as unknown as Record<string, string>, () => {});
}


async function main(): Promise<void> {
  const peer = await ChildPeer.start();
  const chosen = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.id));
  const data = new Map(chosen.map((s) => [s.lines, chunks(s.lines)]));
  const rows = new Map<string, { rate: number[]; cpu: number[] }>(chosen.map((s) => [s.id, { rate: [], cpu: [] }]));
  for (let round = 0; round <= ROUNDS; round++) { // round 0 warms up
    for (const s of chosen) {
      await peer.ask('reset');
      const groups = data.get(s.lines)!;
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      if (s.id === 'lib') await libraryAlone(peer.port, groups); else await throughOutlet(s, peer.port, groups);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(c0);
      const got = await peer.waitFor(s.lines);
      if (got !== s.lines) throw new Error(`${s.id}: the peer got ${got} of ${s.lines} lines`);
      if (round === 0) continue;
      rows.get(s.id)!.rate.push(s.lines / seconds);
      rows.get(s.id)!.cpu.push(((cpu.user + cpu.system) / 1e6) * (1e6 / s.lines));
    }
  }
  peer.close();
  console.log(`fluentd driver, ${LINES.toLocaleString('en')} lines of ${LINE_BYTES} bytes (Message: a tenth), medians of ${ROUNDS} rounds`);
  console.log(`${'scenario'.padEnd(40)} ${'lines/s'.padStart(10)} ${'CPU s / M lines'.padStart(16)}`);
  for (const s of chosen) {
    const r = rows.get(s.id)!;
    console.log(`${s.label.padEnd(40)} ${Math.round(median(r.rate)).toLocaleString('en').padStart(10)} ${median(r.cpu).toFixed(2).padStart(16)}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
