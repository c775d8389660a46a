import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverContext, LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage, message } from '../../engine/logs/message';
import { fluentd } from '../../drivers/fluentd';
import { FluentdPeer } from '../helpers/peers/fluentd';

/** fluent-logger, through the fluentd driver, against a Forward Protocol v1 server on loopback. */

const ID = '3f2a1b4c5d6e'.padEnd(64, '7');
const CTX: DriverContext = {
  id: ID, name: 'web', logDir: '/nonexistent', labels: { team: 'core', tier: 'db' }, env: ['REGION=eu', 'SECRET=x'],
  created: 1_700_000_000_000_000_000n, pid: () => 1,
};
const T = 1_700_000_123_456_789_012n; // a line's own time: 1700000123 s + 456789012 ns

async function until(what: string, f: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!f()) throw new Error(`gave up waiting for ${what}`);
}

const signal = () => new AbortController().signal;
const lines = (prefix: string, n: number): LogMessage[] => Array.from({ length: n }, (_, i) => message('stdout', T + BigInt(i), Buffer.from(`${prefix}-${i}`)));

describe('fluentd driver over TCP', () => {
  let peer: FluentdPeer;
  const drivers: LogDriver[] = [];
  const peers: FluentdPeer[] = [];
  before(async () => { peer = await FluentdPeer.start(); });
  after(async () => {
    await Promise.all(drivers.map((d) => d.close()));
    await Promise.all([peer, ...peers].map((p) => p.close()));
  });
  /** A peer of one test's own, closed after the suite even when the test fails. */
  const ownPeer = async () => { const p = await FluentdPeer.start(); peers.push(p); return p; };

  async function driver(opts: Record<string, string> = {}, to: FluentdPeer = peer): Promise<LogDriver> {
    const d = await fluentd.create(fluentd.parseOptions({ 'fluentd-address': to.address, ...opts }), CTX);
    drivers.push(d);
    return d;
  }
  const eventsOf = (prefix: string, p = peer) => p.events.filter((e) => String(e.record['log']).startsWith(prefix));

  test('PackedForward (the default): Docker\'s record fields, tag and whole-second time, many lines per frame', async () => {
    const d = await driver({ labels: 'team', env: 'REGION' });
    const batch = [
      message('stdout', T, Buffer.from('hello out')),
      message('stderr', T + 1_000_000_000n, Buffer.from('hello err')),
      ...[1, 2].map((ordinal) => message('stdout', T, Buffer.from(`hello long ${ordinal}`), { id: 'pid1', ordinal, last: ordinal === 2 })),
      message('stdout', T, Buffer.from('hello café ✓')),
    ];
    assert.deepEqual(await d.send(batch, signal()), { status: 'ok' });
    await until('five events', () => eventsOf('hello').length === 5);
    const base = { container_id: ID, container_name: '/web', team: 'core', REGION: 'eu' };
    assert.deepEqual(eventsOf('hello').map((e) => e.record), [
      { ...base, source: 'stdout', log: 'hello out' },
      { ...base, source: 'stderr', log: 'hello err' },
      { ...base, source: 'stdout', log: 'hello long 1', partial_message: 'true', partial_id: 'pid1', partial_ordinal: '1', partial_last: 'false' },
      { ...base, source: 'stdout', log: 'hello long 2', partial_message: 'true', partial_id: 'pid1', partial_ordinal: '2', partial_last: 'true' },
      { ...base, source: 'stdout', log: 'hello café ✓' },
    ]);
    assert.ok(eventsOf('hello').every((e) => e.tag === ID.slice(0, 12)), 'the tag defaults to the short id');
    assert.deepEqual(eventsOf('hello').map((e) => e.time), [0, 1, 0, 0, 0].map((s) => ({ seconds: 1_700_000_123 + s, nanos: 0, eventTime: false })));
    const frame = peer.requests.find((r) => r.events === 5);
    assert.equal(frame?.mode, 'PackedForward', 'one frame carried the whole batch');
  });

  test('fluentd-sub-second-precision sends EventTime (ext 0) with the line\'s nanoseconds; tag templates expand', async () => {
    const d = await driver({ 'fluentd-sub-second-precision': 'true', tag: 'corral.{{.Name}}.{{.ID}}' });
    assert.equal((await d.send([message('stdout', T, Buffer.from('precise'))], signal())).status, 'ok');
    await until('the event', () => eventsOf('precise').length === 1);
    const [e] = eventsOf('precise');
    assert.deepEqual(e!.time, { seconds: 1_700_000_123, nanos: 456_789_012, eventTime: true });
    assert.equal(e!.tag, `corral.web.${ID.slice(0, 12)}`);
  });

  test('Message mode sends one [tag, time, record] request per line', async () => {
    const d = await driver({ 'fluentd-event-mode': 'Message' });
    assert.equal((await d.send(lines('msgmode', 3), signal())).status, 'ok');
    await until('three events', () => eventsOf('msgmode').length === 3);
    const frames = peer.requests.filter((r) => r.mode === 'Message');
    assert.equal(frames.length, 3);
    assert.deepEqual(eventsOf('msgmode').map((e) => e.record['log']), ['msgmode-0', 'msgmode-1', 'msgmode-2']);
    assert.deepEqual(frames[0]!.option, {}, 'no options without request-ack');
  });

  test('CompressedPackedForward gzips the entries and says so in the options', async () => {
    const d = await driver({ 'fluentd-event-mode': 'CompressedPackedForward' });
    const batch = lines('gz', 200);
    assert.equal((await d.send(batch, signal())).status, 'ok');
    await until('200 events', () => eventsOf('gz').length === 200);
    const frame = peer.requests.find((r) => r.mode === 'CompressedPackedForward');
    assert.equal(frame?.option['compressed'], 'gzip');
    assert.equal(frame?.events, 200);
    assert.deepEqual(eventsOf('gz').map((e) => e.record['log']), batch.map((m) => m.line.toString()));
  });

  test('fluentd-buffer-limit bounds the lines handed to the library, so one batch becomes several frames', async () => {
    const d = await driver({ 'fluentd-buffer-limit': '4' });
    const before = peer.requests.length;
    assert.equal((await d.send(lines('limited', 10), signal())).status, 'ok');
    await until('ten events', () => eventsOf('limited').length === 10);
    assert.deepEqual(peer.requests.slice(before).map((r) => r.events), [4, 4, 2]);
  });

  for (const mode of ['PackedForward', 'Message', 'CompressedPackedForward']) {
    test(`request-ack (${mode}): ok only once fluentd acked the chunk; a missing or wrong ack is a retry`, async () => {
      const d = await driver({ 'fluentd-request-ack': 'true', 'fluentd-event-mode': mode, 'fluentd-read-timeout': '300ms' });
      const prefix = `ack${mode}`;
      assert.deepEqual(await d.send(lines(prefix, 2), signal()), { status: 'ok' });
      assert.equal(eventsOf(prefix).length, 2, 'acked means stored');
      const last = peer.requests.at(-1)!;
      assert.match(String(last.option['chunk']), /^[A-Za-z0-9+/]{22}==$/, 'chunk: base64 of a 128-bit id');

      peer.ackPolicy = 'wrong';
      const wrong = await d.send(lines(`${prefix}w`, 1), signal());
      assert.equal(wrong.status, 'retry');
      assert.match((wrong as { error: Error }).error.message, /ack in response and chunk id in sent data are different/);
      peer.ackPolicy = 'silent';
      const silent = await d.send(lines(`${prefix}s`, 1), signal());
      assert.equal(silent.status, 'retry');
      assert.match((silent as { error: Error }).error.message, /ack response timeout/);
      peer.ackPolicy = 'ack';
      assert.deepEqual(await d.send(lines(`${prefix}s`, 1), signal()), { status: 'ok' }, 'a new connection once the server acks again');
    });
  }

  test('a server that is down: send() answers retry at once with fluentd-retry-wait backing off 1.5x, then delivers when it is back, without resending what the failed connection held', async () => {
    const p = await ownPeer();
    await p.down();
    const d = await driver({ 'fluentd-retry-wait': '200ms' }, p);
    const batch = lines('bounce', 20);
    const first = await d.send(batch, signal());
    assert.equal(first.status, 'retry');
    assert.match((first as { error: Error }).error.message, /ECONNREFUSED/);
    assert.equal((first as { retryAfterMs: number }).retryAfterMs, 200);
    assert.equal(((await d.send(batch, signal())) as { retryAfterMs: number }).retryAfterMs, 300);
    await p.up();
    assert.deepEqual(await d.send(batch, signal()), { status: 'ok' });
    assert.deepEqual(await d.send(lines('after', 1), signal()), { status: 'ok' });
    await until('the lines', () => eventsOf('after', p).length === 1);
    assert.deepEqual(eventsOf('bounce', p).map((e) => e.record['log']), batch.map((m) => m.line.toString()), 'each line once, in order');
  });

  test('close() hangs up after what was written: a slow server still gets every line (its late acks do not reset the connection)', async () => {
    const p = await ownPeer();
    const d = await driver({}, p);
    assert.equal((await d.send(lines('warm', 1), signal())).status, 'ok');
    await until('the first line', () => p.events.length === 1);
    p.pause();
    const batches = Array.from({ length: 20 }, (_, i) => lines(`slow${i}`, 100));
    for (const b of batches) assert.equal((await d.send(b, signal())).status, 'ok', 'written to the kernel');
    await d.close();
    p.resume();
    await until('all 2001 lines', () => p.events.length === 2001);
    assert.deepEqual(p.errors, []);
  });

  test('fluentd-max-retries: after that many retries the batch is given up (fail, counted by the outlet)', async () => {
    const p = await ownPeer();
    await p.down();
    const d = await driver({ 'fluentd-max-retries': '1', 'fluentd-retry-wait': '10ms' }, p);
    const batch = lines('giveup', 1);
    assert.equal((await d.send(batch, signal())).status, 'retry');
    const r = await d.send(batch, signal());
    assert.equal(r.status, 'fail');
    assert.match((r as { error: Error }).error.message, /gave up after fluentd-max-retries=1/);
    assert.equal((await d.send(batch, signal())).status, 'retry', 'the count starts again for the next batch');
  });

  test('a server that never answers: fluentd-write-timeout and the abort signal end send(); close() returns', async () => {
    // (read-timeout: the library's ack timer outlives a dropped connection; keep it short here)
    const d = await driver({ 'fluentd-request-ack': 'true', 'fluentd-write-timeout': '200ms', 'fluentd-read-timeout': '300ms' });
    peer.ackPolicy = 'silent';
    try {
      const r = await d.send(lines('stuck', 1), signal());
      assert.equal(r.status, 'retry');
      assert.match((r as { error: Error }).error.message, /fluentd-write-timeout/);
      const d2 = await driver({ 'fluentd-request-ack': 'true', 'fluentd-read-timeout': '300ms' });
      const ac = new AbortController();
      const pending = d2.send(lines('stuck2', 1), ac.signal);
      setTimeout(() => ac.abort(), 50);
      const aborted: SendResult = await pending;
      assert.equal(aborted.status, 'retry');
      assert.match((aborted as { error: Error }).error.message, /aborted/);
      await d2.close();
    } finally {
      peer.ackPolicy = 'ack';
    }
  });

  test('fluentd-async-reconnect-interval replaces the connection once it is that old', async () => {
    const d = await driver({ 'fluentd-async-reconnect-interval': '100ms' });
    await d.send(lines('recon', 1), signal());
    const before = peer.connections;
    await new Promise((r) => setTimeout(r, 150));
    await d.send(lines('recon', 1), signal());
    await until('both lines', () => eventsOf('recon').length === 2);
    assert.equal(peer.connections, before + 1);
  });

  test('probe() connects to a live server and names the address of a dead one', async () => {
    await fluentd.probe!(fluentd.parseOptions({ 'fluentd-address': peer.address }), CTX, 1000);
    const p = await ownPeer();
    const address = p.address;
    await p.close();
    await assert.rejects(fluentd.probe!(fluentd.parseOptions({ 'fluentd-address': address }), CTX, 1000), new RegExp(`fluentd at tcp://${address}: connect ECONNREFUSED`));
  });
});

describe('fluentd driver: shared-key handshake', () => {
  let peer: FluentdPeer;
  before(async () => { peer = await FluentdPeer.start({ sharedKey: 's3cret', serverHostname: 'fluentd.example' }); });
  after(() => peer.close());

  test('HELO/PING/PONG with the right key, then events flow on that connection', async () => {
    const d = await fluentd.create(fluentd.parseOptions({ 'fluentd-address': peer.address, 'fluentd-shared-key': 's3cret', 'fluentd-request-ack': 'true' }), CTX);
    assert.deepEqual(await d.send(lines('secure', 3), signal()), { status: 'ok' });
    assert.deepEqual(peer.events.map((e) => e.record['log']), ['secure-0', 'secure-1', 'secure-2']);
    assert.deepEqual(peer.handshakes, [{ clientHostname: os.hostname(), accepted: true }]);
    await d.close();
  });

  test('a wrong key is refused in the PONG: the batch fails (a retry would not fix it)', async () => {
    const d = await fluentd.create(fluentd.parseOptions({ 'fluentd-address': peer.address, 'fluentd-shared-key': 'wrong' }), CTX);
    const r = await d.send(lines('insecure', 1), signal());
    assert.equal(r.status, 'fail');
    assert.match((r as { error: Error }).error.message, /Authentication failed: shared_key mismatch/);
    assert.equal(peer.handshakes.at(-1)?.accepted, false);
    assert.equal(peer.events.filter((e) => String(e.record['log']).startsWith('insecure')).length, 0);
    await d.close();
  });
});

describe('fluentd driver over a unix socket', () => {
  test('unix:///path carries the same records', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-fluentd-'));
    const peer = await FluentdPeer.start({ path: path.join(dir, 'fluentd.sock') });
    try {
      const d = await fluentd.create(fluentd.parseOptions({ 'fluentd-address': peer.address }), CTX);
      assert.deepEqual(await d.send([message('stderr', T, Buffer.from('via unix'))], signal()), { status: 'ok' });
      await until('the event', () => peer.events.length === 1);
      assert.deepEqual(peer.events[0]!.record, { container_id: ID, container_name: '/web', source: 'stderr', log: 'via unix' });
      await d.close();
    } finally {
      await peer.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
