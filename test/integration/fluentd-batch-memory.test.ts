import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ForwardConnection } from '../../drivers/fluentd/connection';
import { ForwardRecord, ForwardTime } from '../../drivers/fluentd/record';
import { FluentdPeer } from '../helpers/peers/fluentd';

/** What fluent-logger 3.4.1 holds between emit() and the frame it builds (read only to measure it). */
interface QueuedEntries { sender: { _sendQueue: Map<string, { eventEntries: Buffer[] }> } }
/** Message mode: one request per line, queued until its turn. */
interface QueuedPackets { sender: { _sendQueue: { packet: Buffer }[] } }

/** Bytes of the buffers these views keep alive. */
const held = (views: Buffer[]) => [...new Set(views.map((v) => v.buffer))].reduce((s, b) => s + b.byteLength, 0);
const lines = (n: number): ForwardRecord[] => Array.from({ length: n }, (_, i) => ({
  container_id: 'a'.repeat(64), container_name: '/soak-1', source: 'stdout', log: `soak-1 ${String(i).padStart(10, '0')}`,
}));

describe('fluentd: memory a batch holds on its way out', () => {
  let peer: FluentdPeer;
  before(async () => { peer = await FluentdPeer.start(); });
  after(() => peer.close());

  test('a batch of 8192 short lines holds about its encoded size until its frame is built (not 2 KiB a line)', async () => {
    const conn = new ForwardConnection({
      tag: 'soak', address: { scheme: 'tcp', host: '127.0.0.1', port: Number(peer.address.split(':')[1]) }, eventMode: 'PackedForward',
      requestAck: true, ackTimeoutMs: 10_000, sharedKey: null, clientHostname: 'client',
    });
    const n = 8192;
    const times: ForwardTime[] = Array.from({ length: n }, () => 1_700_000_000);
    const records = lines(n);
    const written = conn.write(times, records);
    written.catch(() => undefined); // awaited below; a failed assertion first must not leave it unhandled
    try {
      // emit() encoded every entry at once; the library joins them once it has connected.
      const entries = (conn as unknown as QueuedEntries).sender._sendQueue.get('soak')!.eventEntries;
      assert.equal(entries.length, n);
      const size = entries.reduce((s, e) => s + e.length, 0);
      assert.ok(held(entries) <= 2 * size, `${n} entries of ${size} bytes in all hold ${held(entries)} bytes of buffers`);
      await written;
      for (let i = 0; i < 250 && peer.events.length < n; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(peer.events.map((e) => e.record['log']), records.map((r) => r.log), 'every line arrived as it was sent');
      assert.deepEqual(peer.events[0]!.time, { seconds: 1_700_000_000, nanos: 0, eventTime: false });
    } finally {
      conn.end();
    }
  });

  test('Message mode: each queued request holds about its own size', async () => {
    const conn = new ForwardConnection({
      tag: 'msg', address: { scheme: 'tcp', host: '127.0.0.1', port: Number(peer.address.split(':')[1]) }, eventMode: 'Message',
      requestAck: false, ackTimeoutMs: 10_000, sharedKey: null, clientHostname: 'client',
    });
    const records = lines(1024);
    const written = conn.write(records.map(() => 1_700_000_000), records);
    written.catch(() => undefined);
    try {
      const packets = (conn as unknown as QueuedPackets).sender._sendQueue.map((i) => i.packet);
      assert.equal(packets.length, records.length);
      const size = packets.reduce((s, p) => s + p.length, 0);
      assert.ok(held(packets) <= 2 * size, `${packets.length} requests of ${size} bytes in all hold ${held(packets)} bytes of buffers`);
      await written;
      const got = () => peer.events.filter((e) => e.tag === 'msg');
      for (let i = 0; i < 250 && got().length < records.length; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(got().map((e) => e.record['log']), records.map((r) => r.log));
    } finally {
      conn.end();
    }
  });
});
