import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage, message } from '../../engine/logs/message';
import { Outlet } from '../../engine/logs/outlet';

const line = (i: number, size = 10) => message('stdout', BigInt(i), Buffer.alloc(size, 97 + (i % 26)));
const batch = { maxEvents: 1000, maxBytes: 1 << 20, flushMs: 0 };

/** A driver that records what it got and answers from a script. */
class ScriptedDriver implements LogDriver {
  readonly name = 'scripted';
  readonly got: LogMessage[] = [];
  gate: Promise<void> = Promise.resolve();
  constructor(private readonly answers: SendResult['status'][] = []) {}
  async send(b: readonly LogMessage[]): Promise<SendResult> {
    await this.gate;
    const status = this.answers.shift() ?? 'ok';
    if (status === 'ok') { this.got.push(...b); return { status }; }
    return { status, error: new Error(status), ...(status === 'retry' ? { retryAfterMs: 1 } : {}) } as SendResult;
  }
  async close() {}
}

describe('Outlet', () => {
  it('blocking: never drops; says stop above the mark and resolves whenDrained once sent', async () => {
    const d = new ScriptedDriver();
    let open!: () => void;
    d.gate = new Promise((r) => (open = r));
    const o = new Outlet(d, { delivery: { mode: 'blocking', maxBufferBytes: 25 }, batch });
    assert.equal(o.offer([line(1), line(2)]), true);
    assert.equal(o.offer([line(3)]), false); // 30 bytes queued >= 25
    let drained = false;
    const w = o.whenDrained().then(() => (drained = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(drained, false);
    open();
    await w;
    await o.close();
    assert.deepEqual(d.got.map((m) => Number(m.time)), [1, 2, 3]);
    assert.equal(o.stats.sent, 3);
    assert.deepEqual(o.stats.dropped, { 'buffer-full': 0, 'send-failed': 0, closed: 0 });
  });

  it('non-blocking: drops the newest lines when full and counts every one', async () => {
    const d = new ScriptedDriver();
    let open!: () => void;
    d.gate = new Promise((r) => (open = r));
    const o = new Outlet(d, { delivery: { mode: 'non-blocking', maxBufferBytes: 35 }, batch });
    const msgs = Array.from({ length: 10 }, (_, i) => line(i));
    assert.equal(o.offer(msgs.slice(0, 1)), true); // goes to the driver (held at the gate)
    o.offer(msgs.slice(1));
    open();
    await o.close();
    const delivered = d.got.length;
    assert.equal(delivered + o.stats.dropped['buffer-full'], 10);
    assert.ok(o.stats.dropped['buffer-full'] > 0);
    assert.deepEqual(d.got.map((m) => Number(m.time)), Array.from({ length: delivered }, (_, i) => i));
  });

  it('non-blocking with drop-policy=oldest: keeps the newest lines, drops queued old ones, counts every one', async () => {
    const d = new ScriptedDriver();
    let open!: () => void;
    d.gate = new Promise((r) => (open = r));
    const o = new Outlet(d, { delivery: { mode: 'non-blocking', maxBufferBytes: 35, dropPolicy: 'oldest' }, batch });
    const msgs = Array.from({ length: 10 }, (_, i) => line(i));
    o.offer(msgs.slice(0, 1)); // in flight, held at the gate: never dropped
    for (let i = 1; i < 10; i++) o.offer(msgs.slice(i, i + 1));
    open();
    await o.close();
    assert.equal(d.got.length + o.stats.dropped['buffer-full'], 10);
    assert.deepEqual(d.got.map((m) => Number(m.time)), [0, 8, 9], 'the first (in flight) and the newest that fit in 35 bytes');
  });

  it('an oversized line still goes into an empty non-blocking queue (as Docker)', async () => {
    const d = new ScriptedDriver();
    const o = new Outlet(d, { delivery: { mode: 'non-blocking', maxBufferBytes: 5 }, batch });
    o.offer([line(1, 100)]);
    await o.close();
    assert.equal(d.got.length, 1);
  });

  it('retries a batch the driver asks to retry, and counts a failed one as dropped', async () => {
    const d = new ScriptedDriver(['retry', 'retry', 'ok', 'fail']);
    const errors: string[] = [];
    const o = new Outlet(d, { delivery: { mode: 'blocking', maxBufferBytes: 1000 }, batch, retry: { baseMs: 1, capMs: 2 }, onError: (e) => errors.push(e.message) });
    o.offer([line(1)]);
    await o.whenDrained();
    await new Promise((r) => setTimeout(r, 50));
    o.offer([line(2)]);
    await o.close();
    assert.deepEqual(d.got.map((m) => Number(m.time)), [1]);
    assert.equal(o.stats.sent, 1);
    assert.equal(o.stats.dropped['send-failed'], 1);
    assert.deepEqual(errors, ['retry', 'retry', 'fail']);
  });

  it('close gives up after its grace period on a driver that keeps failing, counting the rest', async () => {
    const d = new ScriptedDriver(Array(1000).fill('retry'));
    const o = new Outlet(d, { delivery: { mode: 'blocking', maxBufferBytes: 1000 }, batch, retry: { baseMs: 5, capMs: 10 } });
    o.offer([line(1), line(2)]);
    await o.close(50);
    assert.equal(o.stats.sent, 0);
    assert.equal(o.stats.dropped.closed, 2);
  });

  it('abortNow ends a close in progress at once; a second close() is the same promise', async () => {
    const d = new ScriptedDriver(Array(100_000).fill('retry'));
    const o = new Outlet(d, { delivery: { mode: 'blocking', maxBufferBytes: 1000 }, batch, retry: { baseMs: 5, capMs: 10 } });
    o.offer([line(1), line(2), line(3)]);
    const closing = o.close(60_000);
    assert.equal(o.close(), closing);
    await new Promise((r) => setTimeout(r, 30));
    o.abortNow();
    await closing;
    assert.equal(o.stats.sent, 0);
    assert.equal(o.stats.dropped.closed, 3);
  });
});
