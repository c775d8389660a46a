/**
 * The mongodb driver's throughput and CPU: lines offered to an Outlet (blocking, the driver's
 * batch policy) in 64 KiB pipe-sized groups of 100-byte lines, as the framer hands them over,
 * through the official `mongodb` client to the wire-protocol peer of the tests running in a
 * child process (so its BSON decoding is not counted; it acknowledges and counts, keeping
 * nothing). Lines/s runs from the first offer() to close() resolving (every insert
 * acknowledged); CPU is this process's (outlet + driver + client). Every run checks that the
 * peer counted every line. The "client alone" row inserts the same documents, built
 * beforehand, with insertMany(ordered: false) per group: the floor this driver stands on.
 * Goal (issue): >= 300,000 lines/s from one workload.
 *
 *   node dist/bench/driver-mongodb.js [--lines 1000000] [--rounds 3] [--only id,id]
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { MongoClient } from 'mongodb';
import { mongodb } from '../drivers/mongodb';
import { DocumentBuilder, LogDocument } from '../drivers/mongodb/document';
import { DriverContext } from '../engine/logs/driver';
import { LogMessage } from '../engine/logs/message';
import { splitDeliveryMode } from '../engine/logs/mode';
import { Outlet } from '../engine/logs/outlet';
import { LINE_BYTES, median, pipeChunks } from './lib/pipechunks';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const LINES = Number(arg('--lines') ?? 1_000_000);
const ROUNDS = Number(arg('--rounds') ?? 3);
const ONLY = arg('--only')?.split(',');

const CTX: DriverContext = { id: 'b'.repeat(64), name: 'bench', logDir: '', labels: { team: 'core' }, env: ['REGION=eu'], created: 0n, pid: () => 0 };

interface Scenario { id: string; label: string; opts: Record<string, string> }
const SCENARIOS: Scenario[] = [
  { id: 'default', label: 'driver through an outlet', opts: {} },
  { id: 'attrs', label: 'driver, labels + env attrs', opts: { labels: 'team', env: 'REGION' } },
  { id: 'lib', label: 'mongodb client alone (insertMany per group)', opts: {} },
];

/** The bench's lines, as the framer hands them on. */
function chunks(n: number): LogMessage[][] {
  const t0 = BigInt(Date.now()) * 1_000_000n;
  return pipeChunks(n, (_line, first) => t0 + BigInt(first));
}

/** The test peer in a child: prints its port; answers "count <ns>" with the documents it counted. */
class ChildPeer {
  private readonly answers: ((line: string) => void)[] = [];
  private constructor(private readonly child: ChildProcess, readonly port: number, lines: readline.Interface) {
    lines.on('line', (l) => this.answers.shift()?.(l));
  }

  static start(): Promise<ChildPeer> {
    const peerModule = path.join(__dirname, '..', 'test', 'helpers', 'peers', 'mongodb.js');
    const code = `const { MongoPeer } = require(${JSON.stringify(peerModule)});
      MongoPeer.start({ recordCommands: false, discardDocuments: true }).then((p) => {
        console.log(p.port);
        require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
          const [db, coll] = l.split(' ');
          console.log(String(p.inserted(db, coll)));
        }).on('close', () => p.close().then(() => process.exit(0)));
      });`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout! });
    return new Promise((resolve) => lines.once('line', (port) => resolve(new ChildPeer(child, Number(port), lines))));
  }

  count(db: string): Promise<number> {
    return new Promise((resolve) => { this.answers.push((l) => resolve(Number(l))); this.child.stdin!.write(`${db} logs\n`); });
  }

  close(): void { this.child.stdin!.end(); }
}

async function throughOutlet(s: Scenario, uri: string, db: string, groups: LogMessage[][]): Promise<void> {
  const { delivery, rest } = splitDeliveryMode({ 'mongodb-uri': uri, 'mongodb-database': db, ...s.opts });
  const driver = await mongodb.create(mongodb.parseOptions(rest), CTX);
  const outlet = new Outlet(driver, { delivery, batch: mongodb.batch, onError: (e) => process.stderr.write(`${s.id}: ${e.message}\n`) });
  for (const g of groups) if (!outlet.offer(g)) await outlet.whenDrained();
  await outlet.close();
  const dropped = Object.values(outlet.stats.dropped).reduce((a, b) => a + b, 0);
  if (outlet.stats.sent !== LINES || dropped) throw new Error(`${s.id}: sent ${outlet.stats.sent}, dropped ${dropped}`);
}

/** Documents built before the clock starts; one insertMany per group. */
async function clientAlone(client: MongoClient, db: string, docs: LogDocument[][]): Promise<void> {
  const coll = client.db(db).collection<LogDocument>('logs');
  for (const d of docs) await coll.insertMany(d, { ordered: false });
}


async function main(): Promise<void> {
  const peer = await ChildPeer.start();
  const uri = `mongodb://127.0.0.1:${peer.port}`;
  const chosen = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.id));
  const groups = chunks(LINES);
  const client = new MongoClient(uri);
  const rows = new Map<string, { rate: number[]; cpu: number[] }>(chosen.map((s) => [s.id, { rate: [], cpu: [] }]));
  let run = 0;
  for (let round = 0; round <= ROUNDS; round++) { // round 0 warms up
    for (const s of chosen) {
      const db = `bench${run++}`;
      // The client-alone row gets its documents made outside the timing (a fresh builder: fresh _ids).
      const docs = s.id === 'lib' ? (() => { const b = new DocumentBuilder({ containerId: CTX.id, containerName: CTX.name, tag: CTX.id.slice(0, 12), host: 'h', attrs: {} }, BigInt(run)); return groups.map((g) => b.build(g)); })() : [];
      if (s.id === 'lib') await client.connect();
      global.gc?.();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      if (s.id === 'lib') await clientAlone(client, db, docs); else await throughOutlet(s, uri, db, groups);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(c0);
      const got = await peer.count(db);
      if (got !== LINES) throw new Error(`${s.id}: the peer counted ${got} of ${LINES} lines`);
      if (round === 0) continue;
      rows.get(s.id)!.rate.push(LINES / seconds);
      rows.get(s.id)!.cpu.push(((cpu.user + cpu.system) / 1e6) * (1e6 / LINES));
    }
  }
  await client.close();
  peer.close();
  console.log(`mongodb driver: ${LINES.toLocaleString('en-US')} lines of ${LINE_BYTES} bytes, median of ${ROUNDS} rounds (after a warm-up round)`);
  console.log(`${'scenario'.padEnd(48)} ${'lines/s'.padStart(12)} ${'CPU s / M lines'.padStart(16)}`);
  for (const s of chosen) {
    const r = rows.get(s.id)!;
    console.log(`${s.label.padEnd(48)} ${Math.round(median(r.rate)).toLocaleString('en-US').padStart(12)} ${median(r.cpu).toFixed(2).padStart(16)}`);
  }
}


main().catch((e) => { console.error(e); process.exit(1); });
