import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { DriverContext } from '../../engine/logs/driver';
import { message } from '../../engine/logs/message';
import { syslog } from '../../drivers/syslog';
import { LOCAL_SOCKETS } from '../../drivers/syslog/address';

const ctx: DriverContext = { id: 'a'.repeat(64), name: 't', logDir: os.tmpdir(), labels: {}, env: [], created: 0n, pid: () => 1 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('syslog transport: stalled and missing servers', () => {
  let server: net.Server;
  const sockets: net.Socket[] = [];
  let port = 0;
  before(async () => {
    // Accepts and never reads: the kernel buffers fill and writes stop completing.
    server = net.createServer((s) => { s.pause(); sockets.push(s); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('a send stuck behind a server that stopped reading ends with retry when the signal aborts; close() returns', async () => {
    const driver = await syslog.create(syslog.parseOptions({ 'syslog-address': `tcp://127.0.0.1:${port}` }), ctx);
    const line = Buffer.alloc(16 << 10, 0x61);
    const batch = Array.from({ length: 256 }, () => message('stdout', 1n, line)); // 4 MiB a batch
    let stuck = false;
    for (let i = 0; i < 40 && !stuck; i++) {
      const ac = new AbortController();
      const sending = driver.send(batch, ac.signal);
      const finished = await Promise.race([sending.then(() => true), sleep(500).then(() => false)]);
      if (finished) continue;
      ac.abort();
      const r = await sending;
      if (r.status === 'ok') continue; // it finished just before the abort: the buffers are not full yet
      stuck = true;
      assert.equal(r.status, 'retry');
      assert.match((r as { error: Error }).error.message, /send aborted/);
    }
    assert.ok(stuck, 'the kernel buffers filled');
    await driver.close();
  });

  it('an aborted signal answers retry at once', async () => {
    const driver = await syslog.create(syslog.parseOptions({ 'syslog-address': `tcp://127.0.0.1:${port}` }), ctx);
    const ac = new AbortController();
    ac.abort();
    assert.equal((await driver.send([message('stdout', 1n, Buffer.from('x'))], ac.signal)).status, 'retry');
    await driver.close();
  });

  it('close() during a connect leaves nothing behind, and later sends answer retry', async () => {
    const driver = await syslog.create(syslog.parseOptions({ 'syslog-address': `tcp://127.0.0.1:${port}` }), ctx);
    const before = sockets.length;
    const pending = driver.send([message('stdout', 1n, Buffer.from('x'))], new AbortController().signal);
    await driver.close();
    await pending;
    assert.equal((await driver.send([message('stdout', 1n, Buffer.from('y'))], new AbortController().signal)).status, 'retry');
    for (let i = 0; i < 50 && sockets.slice(before).some((s) => !s.destroyed && s.readyState === 'open'); i++) await sleep(20);
    assert.ok(sockets.slice(before).every((s) => s.readyState !== 'open' || s.destroyed), 'the late connection was closed');
  });

  const isSocket = (p: string) => { try { return fs.statSync(p).isSocket(); } catch { return false; } };
  const noLocal = LOCAL_SOCKETS.some(isSocket) ? 'this machine has a local syslog socket' : false;
  it('no syslog-address and no local socket: retry naming every path tried; the probe fails the same way', { skip: noLocal }, async () => {
    const driver = await syslog.create(syslog.parseOptions({}), ctx);
    const r = await driver.send([message('stdout', 1n, Buffer.from('x'))], new AbortController().signal);
    await driver.close();
    assert.equal(r.status, 'retry');
    assert.match((r as { error: Error }).error.message, /no local syslog socket answers \(\/dev\/log: [A-Z]+; \/var\/run\/syslog: [A-Z]+; \/var\/run\/log: [A-Z]+\); set syslog-address/);
    await assert.rejects(syslog.probe!(syslog.parseOptions({}), ctx, 1000), /no local syslog socket/);
  });
});
