import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage, message } from '../../engine/logs/message';
import { Outlet } from '../../engine/logs/outlet';
import { Spool } from '../../engine/logs/spool';
import { SpoolSet } from '../../engine/logs/spoolset';
import { splitSpoolOptions } from '../../engine/logs/spoolopts';

const line = (i: number) => message('stdout', BigInt(i), Buffer.from(`n${String(i).padStart(6, '0')} ${'x'.repeat(90)}`));
const batch = { maxEvents: 100, maxBytes: 1 << 20, flushMs: 0 };
const retry = { baseMs: 1, capMs: 5 };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'corral-spool-outlet-'));
const tick = () => new Promise((r) => setTimeout(r, 5));

/** A driver whose server is down (every send answers retry) until up is set. */
class Switchable implements LogDriver {
  readonly name = 'switchable';
  readonly got: number[] = [];
  up = false;
  async send(b: readonly LogMessage[]): Promise<SendResult> {
    await new Promise((r) => setImmediate(r));
    if (!this.up) return { status: 'retry', error: new Error('connection refused') };
    this.got.push(...b.map((m) => Number(m.time)));
    return { status: 'ok' };
  }
  async close() {}
}

async function until(what: string, f: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) { if (f()) return; await tick(); }
  throw new Error(`gave up waiting for ${what}`);
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const droppedTotal = (o: Outlet) => Object.values(o.stats.dropped).reduce((a, b) => a + (b ?? 0), 0);

describe('Outlet with a spool', () => {
  it('server down: lines beyond the memory buffer go to disk; back up, every line arrives once, in order', async () => {
    const dir = tmp();
    const d = new Switchable();
    const spool = new SpoolSet().acquire({ dir, maxBytes: 10_000_000 });
    const o = new Outlet(d, { delivery: { mode: 'non-blocking', maxBufferBytes: 4096 }, batch, retry, spool });
    for (let i = 0; i < 100; i++) o.offer(range(i * 20, 20).map(line));
    await until('something spooled', () => spool.bytes > 0);
    assert.ok(o.stats.queuedBytes <= 4096, 'memory stays within its buffer');
    d.up = true;
    await until('all sent', () => d.got.length >= 2000);
    await o.close();
    assert.deepEqual(d.got, range(0, 2000));
    assert.equal(o.stats.sent, 2000);
    assert.equal(droppedTotal(o), 0);
    assert.equal(fs.existsSync(dir), false, 'the spool is empty: its files and folder are gone');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('what a closed outlet could not send stays on disk; the next outlet on that folder sends it first', async () => {
    const dir = tmp();
    const d1 = new Switchable();
    const o1 = new Outlet(d1, { delivery: { mode: 'blocking', maxBufferBytes: 4096 }, batch, retry, spool: new SpoolSet().acquire({ dir, maxBytes: 10_000_000 }) });
    for (let i = 0; i < 10; i++) assert.equal(o1.offer(range(i * 50, 50).map(line)), true, 'the spool takes it: no backpressure');
    await tick();
    const closing = o1.close();
    await tick();
    o1.abortNow(); // the agent gives up (shutdown)
    await closing;
    assert.equal(droppedTotal(o1), 0, 'nothing dropped: it is all on disk');
    const d2 = new Switchable();
    d2.up = true;
    const o2 = new Outlet(d2, { delivery: { mode: 'blocking', maxBufferBytes: 4096 }, batch, retry, spool: new SpoolSet().acquire({ dir, maxBytes: 10_000_000 }) });
    o2.offer(range(500, 5).map(line)); // new lines queue behind the old ones
    await until('all sent', () => d2.got.length >= 505);
    await o2.close();
    assert.deepEqual(d2.got, range(0, 505));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('consecutive runs share a spool: the new outlet queues behind what the old one still sends, then takes over', async () => {
    const dir = tmp();
    const set = new SpoolSet();
    const d1 = new Switchable();
    const o1 = new Outlet(d1, { delivery: { mode: 'non-blocking', maxBufferBytes: 4096 }, batch, retry, spool: set.acquire({ dir, maxBytes: 10_000_000 }) });
    for (let i = 0; i < 10; i++) o1.offer(range(i * 30, 30).map(line));
    const closing = o1.close(); // the run ended with the server down: o1 keeps sending from the spool
    const d2 = new Switchable();
    const o2 = new Outlet(d2, { delivery: { mode: 'non-blocking', maxBufferBytes: 4096 }, batch, retry, spool: set.acquire({ dir, maxBytes: 10_000_000 }) });
    for (let i = 10; i < 20; i++) o2.offer(range(i * 30, 30).map(line));
    await tick();
    assert.equal(o2.stats.queuedBytes, 0, 'the new run writes behind the old lines, on disk');
    d2.up = true;
    d1.up = true;
    await closing;
    for (let i = 20; i < 22; i++) o2.offer(range(i * 30, 30).map(line));
    await until('all sent', () => d1.got.length + d2.got.length >= 660);
    await o2.close();
    assert.deepEqual([...d1.got, ...d2.got], range(0, 660), 'once each, in order across both outlets');
    assert.equal(fs.existsSync(dir), false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('spool full, non-blocking: the newest lines are dropped as spool-full; delivered + dropped = written', async () => {
    const dir = tmp();
    const d = new Switchable();
    const spool = new SpoolSet().acquire({ dir, maxBytes: 64_000 });
    const o = new Outlet(d, { delivery: { mode: 'non-blocking', maxBufferBytes: 4096 }, batch, retry, spool });
    for (let i = 0; i < 200; i++) o.offer(range(i * 10, 10).map(line));
    await tick();
    assert.ok((o.stats.dropped['spool-full'] ?? 0) > 0, 'the spool filled up');
    assert.ok(spool.bytes <= 64_000);
    d.up = true;
    await o.close();
    assert.equal(d.got.length + droppedTotal(o), 2000);
    assert.equal(o.stats.dropped['spool-full'], droppedTotal(o));
    assert.deepEqual(d.got, range(0, d.got.length), 'what arrived is the oldest lines, in order');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('spool full, blocking: offer says stop, nothing is dropped, and whenDrained resolves once the server took lines', async () => {
    const dir = tmp();
    const d = new Switchable();
    const spool = Spool.open({ dir, maxBytes: 64_000 }).ref();
    const o = new Outlet(d, { delivery: { mode: 'blocking', maxBufferBytes: 4096 }, batch, retry, spool });
    let i = 0;
    while (o.offer(range(i * 10, 10).map(line))) { i++; await tick(); if (i > 1000) assert.fail('never full'); }
    i++;
    let drained = false;
    const w = o.whenDrained().then(() => { drained = true; });
    await tick();
    assert.equal(drained, false);
    d.up = true;
    await w;
    await o.close();
    assert.deepEqual(d.got, range(0, i * 10));
    assert.equal(droppedTotal(o), 0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The smallest spool-max-size accepted, and a pipe chunk of 64 KiB (~68,000 bytes of lines): it
  // is larger than the whole spool, so an all-or-nothing append never took it.
  const minimum = () => splitSpoolOptions({ 'spool-dir': '/s', 'spool-max-size': '64k' }, 'fluentd', true)!.maxBytes;
  const CHUNK = 700;

  it('at the smallest spool-max-size, blocking: a pipe chunk larger than the spool goes in parts; every line arrives once, in order', async () => {
    const dir = tmp();
    const d = new Switchable();
    const spool = Spool.open({ dir, maxBytes: minimum() }).ref();
    const o = new Outlet(d, { delivery: { mode: 'blocking', maxBufferBytes: 4096 }, batch, retry, spool });
    o.offer(range(0, 10).map(line)); // the server fails: from here on, lines go to the spool
    await until('a send failed', () => o.stats.errors > 0);
    assert.equal(o.offer(range(10, CHUNK).map(line)), false, 'more than the spool holds: the pipe waits');
    assert.ok(spool.bytes > minimum() / 2, `the spool took what fits (${spool.bytes} bytes)`);
    d.up = true;
    await o.whenDrained();
    await o.close();
    assert.deepEqual(d.got, range(0, 10 + CHUNK));
    assert.equal(droppedTotal(o), 0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('at the smallest spool-max-size, non-blocking: what fits of a larger pipe chunk is kept, only the rest dropped', async () => {
    const dir = tmp();
    const d = new Switchable();
    const spool = Spool.open({ dir, maxBytes: minimum() }).ref();
    const o = new Outlet(d, { delivery: { mode: 'non-blocking', maxBufferBytes: 4096 }, batch, retry, spool });
    o.offer(range(0, 10).map(line));
    await until('a send failed', () => o.stats.errors > 0);
    o.offer(range(10, CHUNK).map(line));
    const dropped = o.stats.dropped['spool-full'] ?? 0;
    assert.ok(dropped > 0 && dropped < CHUNK, `part of the chunk was kept (${dropped} of ${CHUNK} dropped)`);
    d.up = true;
    await o.close();
    assert.equal(d.got.length + droppedTotal(o), 10 + CHUNK);
    assert.deepEqual(d.got, range(0, d.got.length), 'the oldest lines, in order');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
