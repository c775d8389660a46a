import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverContext, DriverDefinition } from '../../engine/logs/driver';
import { LogMessage, PartialMeta, message } from '../../engine/logs/message';
import { splitDeliveryMode } from '../../engine/logs/mode';
import { Outlet } from '../../engine/logs/outlet';

/**
 * Driver conformance: one set of assertions for every remote log driver, each against its
 * protocol-level peer. The driver is used as the agent uses it: through an Outlet.
 */

/** A line as the peer decoded it from its wire format. */
export interface ReceivedLine {
  stream: 'stdout' | 'stderr';
  /** The line's text, without a trailing newline. */
  text: string;
  partial?: PartialMeta;
  /** Extra attributes the record carried (labels/env), by name. */
  attrs?: Record<string, string>;
}

export interface DriverPeer {
  /** Log options that point the driver at this peer (the suite adds its own, e.g. labels). */
  readonly options: Record<string, string>;
  /** Every line received so far, in arrival order. */
  received(): ReceivedLine[];
  /** The server goes away: stops listening and drops its connections. */
  down(): Promise<void>;
  /** Listens again on the same address. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface DriverSubject {
  readonly def: DriverDefinition<any>;
  startPeer(): Promise<DriverPeer>;
  /** The wire carries partial-line metadata (fluentd, mongodb: yes; syslog: no). */
  readonly carriesPartials: boolean;
  /** The driver's option that turns workload labels into record attributes ('labels'), if any. */
  readonly labelsOption?: string;
  /** The peer acknowledges what it stored, so sent + dropped is exact even when it vanishes (request-ack, insert). */
  readonly acknowledged: boolean;
  /** The record says which stream a line came from (default true; awslogs: an event is only time + message). */
  readonly carriesStream?: boolean;
  /** The chunks of a long line arrive as one record (awslogs: one event per line up to 256 KiB, as Docker). */
  readonly joinsPartials?: boolean;
}

export const CONF_ID = 'c0nf'.padEnd(64, '0');

export function confContext(dir: string): DriverContext {
  return { id: CONF_ID, name: 'conformance', logDir: dir, labels: { team: 'core' }, env: [], created: 1_700_000_000_000_000_000n, pid: () => 4242 };
}

const T0 = 1_700_000_000_000_000_000n;
const lines = (prefix: string, n: number, stream: 'stdout' | 'stderr' = 'stdout', from = 0): LogMessage[] =>
  Array.from({ length: n }, (_, i) => message(stream, T0 + BigInt(from + i) * 1000n, Buffer.from(`${prefix}-${from + i}`)));

async function until(what: string, f: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dropped = (o: Outlet) => Object.values(o.stats.dropped).reduce((a, b) => a + b, 0);

export function driverConformance(subject: DriverSubject): void {
  describe(`${subject.def.name} driver conformance`, () => {
    let peer: DriverPeer;
    let dir = '';
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-driver-'));
      peer = await subject.startPeer();
    });
    after(async () => {
      await peer.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function outlet(extra: Record<string, string> = {}): Promise<Outlet> {
      const { delivery, rest } = splitDeliveryMode({ ...peer.options, ...extra });
      const driver = await subject.def.create(subject.def.parseOptions(rest), confContext(dir));
      return new Outlet(driver, { delivery, batch: subject.def.batch, retry: { baseMs: 10, capMs: 200 } });
    }
    const got = (prefix: string) => peer.received().filter((r) => r.text.startsWith(`${prefix}-`));

    test('keeps the order of each stream and delivers every line before close() resolves', async () => {
      const o = await outlet();
      const out = lines('order-out', 500, 'stdout');
      const err = lines('order-err', 500, 'stderr');
      for (let i = 0; i < 500; i += 50) { o.offer(out.slice(i, i + 50)); o.offer(err.slice(i, i + 50)); }
      await o.close();
      assert.equal(o.stats.sent, 1000);
      assert.equal(dropped(o), 0);
      await until('every line at the peer', () => got('order-out').length === 500 && got('order-err').length === 500);
      assert.deepEqual(got('order-out').map((r) => r.text), out.map((m) => m.line.toString()));
      assert.deepEqual(got('order-err').map((r) => r.text), err.map((m) => m.line.toString()));
      if (subject.carriesStream !== false) assert.ok(got('order-err').every((r) => r.stream === 'stderr') && got('order-out').every((r) => r.stream === 'stdout'));
    });

    test('carries partial-line metadata and the workload\'s labels', async () => {
      const o = await outlet(subject.labelsOption ? { [subject.labelsOption]: 'team' } : {});
      const chunks = [1, 2, 3].map((ordinal) => message('stdout', T0, Buffer.from(`partial-${ordinal}`), { id: 'p1d', ordinal, last: ordinal === 3 }));
      o.offer(chunks);
      await o.close();
      const texts = subject.joinsPartials ? ['partial-1partial-2partial-3'] : ['partial-1', 'partial-2', 'partial-3'];
      await until('the chunks at the peer', () => got('partial').length === texts.length);
      const rec = got('partial');
      assert.deepEqual(rec.map((r) => r.text), texts);
      if (subject.carriesPartials) assert.deepEqual(rec.map((r) => r.partial), chunks.map((c) => c.partial));
      if (subject.labelsOption) assert.ok(rec.every((r) => r.attrs?.['team'] === 'core'), JSON.stringify(rec[0]));
    });

    test('a peer that goes away and comes back gets everything sent after it returns; nothing is lost silently', async () => {
      const o = await outlet();
      o.offer(lines('bounce', 50));
      await until('the first lines', () => got('bounce').length === 50);
      await peer.down();
      o.offer(lines('bounce', 50, 'stdout', 50));
      await new Promise((r) => setTimeout(r, 300));
      await peer.up();
      await until('the driver reconnected', () => got('bounce').some((r) => r.text === 'bounce-99') || o.stats.sent + dropped(o) >= 100, 30_000);
      o.offer(lines('bounce', 50, 'stdout', 100));
      await o.close(30_000);
      await until('the lines sent after the peer came back', () => lines('bounce', 50, 'stdout', 100).every((m) => got('bounce').some((r) => r.text === m.line.toString())));
      const distinct = new Set(got('bounce').map((r) => r.text)).size;
      assert.equal(o.stats.sent + dropped(o), 150, 'every line is either sent or counted as dropped');
      if (subject.acknowledged) assert.equal(distinct, o.stats.sent, 'acknowledged: what was counted sent is what the peer has');
    });

    test('non-blocking mode with the peer down drops the overflow and counts every line', async () => {
      await peer.down();
      const o = await outlet({ mode: 'non-blocking', 'max-buffer-size': '1k' });
      for (let i = 0; i < 20; i++) o.offer(lines('overflow', 50, 'stdout', i * 50));
      assert.ok(o.stats.dropped['buffer-full'] > 0, 'a 1 KiB buffer overflows');
      await o.close(500);
      assert.equal(o.stats.sent + dropped(o), 1000);
      await peer.up();
    });
  });
}
