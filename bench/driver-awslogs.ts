/**
 * The awslogs driver's throughput and CPU: lines offered to an Outlet (blocking, the driver's
 * batch sizes) in 64 KiB pipe-sized groups of 100-byte lines, as the framer hands them over,
 * through the real SDK (SigV4, JSON 1.1, HTTP keep-alive) to the CloudWatch Logs peer of the
 * tests, run in a child process that checks every PutLogEvents rule and the signature and
 * counts what it stores (its work is not counted). Lines/s runs from the first offer() until
 * close() resolved (every call acknowledged); CPU is this process's (outlet + driver + SDK).
 * Beside it, the ceiling: the same lines pre-packed into full calls and sent by the bare SDK
 * one call at a time. "Fill" is the mean share of the 1,048,576-byte call limit each call used.
 * The driver's own batch policy: the outlet hands each pipe chunk over at once, the driver fills
 * calls and holds the last one until it is full or the flush interval passed (close() sends it).
 *
 *   node dist/bench/driver-awslogs.js [--lines 1000000] [--rounds 3] [--only id,id]
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { awslogs } from '../drivers/awslogs';
import { packCalls } from '../drivers/awslogs/calls';
import { CwEvent } from '../drivers/awslogs/limits';
import { DriverContext } from '../engine/logs/driver';
import { LogMessage } from '../engine/logs/message';
import { splitDeliveryMode } from '../engine/logs/mode';
import { Outlet } from '../engine/logs/outlet';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY } from '../test/helpers/peers/cloudwatch';
import { LINE_BYTES, median, pipeChunks } from './lib/pipechunks';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const LINES = Number(arg('--lines') ?? 1_000_000);
const ROUNDS = Number(arg('--rounds') ?? 3);
const ONLY = arg('--only')?.split(',');
process.env['AWS_ACCESS_KEY_ID'] = ACCESS_KEY_ID;
process.env['AWS_SECRET_ACCESS_KEY'] = SECRET_ACCESS_KEY;
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const REGION = 'us-east-1';

interface Scenario { id: string; label: string; run: (endpoint: string, stream: string, groups: LogMessage[][]) => Promise<void> }
const SCENARIOS: Scenario[] = [
  { id: 'driver', label: 'Outlet + awslogs driver', run: throughOutlet },
  { id: 'driver-ml', label: 'Outlet + awslogs, multiline pattern', run: (e, s, g) => throughOutlet(e, s, g, { 'awslogs-multiline-pattern': '^line' }) },
  { id: 'sdk', label: 'bare SDK, pre-packed full calls (ceiling)', run: bareSdk },
];


/** The bench's lines, as the framer hands them on. */
function chunks(n: number): LogMessage[][] {
  const t0 = BigInt(Date.now()) * 1_000_000n;
  return pipeChunks(n, (line) => t0 + BigInt(line) * 1000n);
}

async function throughOutlet(endpoint: string, stream: string, groups: LogMessage[][], extra: Record<string, string> = {}): Promise<void> {
  const { delivery, rest } = splitDeliveryMode({
    'awslogs-region': REGION, 'awslogs-endpoint': endpoint, 'awslogs-group': 'bench', 'awslogs-stream': stream, ...extra,
  });
  const ctx: DriverContext = { id: 'b'.repeat(64), name: 'bench', logDir: '', labels: {}, env: [], created: 0n, pid: () => process.pid };
  const driver = await awslogs.create(awslogs.parseOptions(rest), ctx);
  const outlet = new Outlet(driver, { delivery, batch: awslogs.batch, onError: (e) => process.stderr.write(`${e.message}\n`) });
  for (const g of groups) if (!outlet.offer(g)) await outlet.whenDrained();
  await outlet.close();
  const dropped = Object.values(outlet.stats.dropped).reduce((a, b) => a + b, 0);
  if (outlet.stats.sent !== LINES || dropped) throw new Error(`sent ${outlet.stats.sent}, dropped ${dropped}`);
}

async function bareSdk(endpoint: string, stream: string, groups: LogMessage[][]): Promise<void> {
  const events: CwEvent[] = [];
  for (const g of groups) for (const m of g) events.push({ timestamp: Number(m.time / 1_000_000n), message: m.line.toString(), bytes: m.end - m.start, messages: 1, prior: 0, heldAt: 0 });
  const calls = packCalls(events).map((c) => c.map((e) => ({ timestamp: e.timestamp, message: e.message })));
  const client = new CloudWatchLogsClient({ region: REGION, endpoint, maxAttempts: 1 });
  await client.send(new CreateLogStreamCommand({ logGroupName: 'bench', logStreamName: stream }));
  for (const logEvents of calls) await client.send(new PutLogEventsCommand({ logGroupName: 'bench', logStreamName: stream, logEvents }));
  client.destroy();
}

/** The peer in a child: `totals` on stdin answers "events puts bytes". */
class PeerProcess {
  private readonly answers: ((line: string) => void)[] = [];
  private constructor(private readonly child: ChildProcess, readonly endpoint: string, lines: readline.Interface) {
    lines.on('line', (l) => this.answers.shift()?.(l));
  }

  static start(): Promise<PeerProcess> {
    const peerModule = path.join(__dirname, '..', 'test', 'helpers', 'peers', 'cloudwatch.js');
    const code = `
      const { CloudWatchPeer } = require(${JSON.stringify(peerModule)});
      CloudWatchPeer.start({ discard: true }).then((peer) => {
        peer.createGroup('bench');
        console.log(peer.endpoint);
        require('node:readline').createInterface({ input: process.stdin })
          .on('line', () => { const t = peer.totals; console.log(t.events + ' ' + t.puts + ' ' + t.bytes); Object.assign(t, { events: 0, puts: 0, bytes: 0 }); })
          .on('close', () => process.exit(0));
      });`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout! });
    return new Promise((resolve) => lines.once('line', (endpoint) => resolve(new PeerProcess(child, endpoint, lines))));
  }

  /** What was stored since the last ask: events, calls, bytes counted as the service does. */
  totals(): Promise<{ events: number; puts: number; bytes: number }> {
    return new Promise((resolve) => {
      this.answers.push((l) => { const [events, puts, bytes] = l.split(' ').map(Number); resolve({ events: events!, puts: puts!, bytes: bytes! }); });
      this.child.stdin!.write('totals\n');
    });
  }

  close(): void { this.child.stdin!.end(); }
}


async function main(): Promise<void> {
  const peer = await PeerProcess.start();
  const groups = chunks(LINES);
  const chosen = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.id));
  const rows = new Map(chosen.map((s) => [s.id, { rate: [] as number[], cpu: [] as number[], fill: [] as number[], perCall: [] as number[] }]));
  let streams = 0;
  for (let round = 0; round <= ROUNDS; round++) { // round 0 warms up
    for (const s of chosen) {
      await peer.totals();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await s.run(peer.endpoint, `s${++streams}`, groups);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(c0);
      const t = await peer.totals();
      // Every line starts an event with the multiline pattern too.
      if (t.events !== LINES) throw new Error(`${s.id}: the peer stored ${t.events} of ${LINES} events`);
      if (round === 0) continue;
      const r = rows.get(s.id)!;
      r.rate.push(LINES / seconds);
      r.cpu.push(((cpu.user + cpu.system) / 1e6) * (1e6 / LINES));
      r.fill.push(t.bytes / t.puts / 1_048_576);
      r.perCall.push(t.events / t.puts);
    }
  }
  peer.close();
  console.log(`awslogs driver, ${LINES.toLocaleString('en')} lines of ${LINE_BYTES} bytes, medians of ${ROUNDS} rounds`);
  console.log(`${'scenario'.padEnd(44)} ${'lines/s'.padStart(10)} ${'CPU s / M lines'.padStart(16)} ${'events/call'.padStart(12)} ${'fill'.padStart(6)}`);
  for (const s of chosen) {
    const r = rows.get(s.id)!;
    console.log(`${s.label.padEnd(44)} ${Math.round(median(r.rate)).toLocaleString('en').padStart(10)} ${median(r.cpu).toFixed(2).padStart(16)} `
      + `${Math.round(median(r.perCall)).toLocaleString('en').padStart(12)} ${(median(r.fill) * 100).toFixed(0).padStart(5)}%`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
