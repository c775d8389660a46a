import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ForwardConnection } from '../../drivers/fluentd/connection';
import { ForwardRecord, ForwardTime } from '../../drivers/fluentd/record';
import { FluentdPeer } from '../helpers/peers/fluentd';

/** What fluent-logger 3.4.1 holds between emit() and the frame it builds (read only to measure it). */
interface QueuedEntries { sender: { _sendQueue: Map<string, { eventEntries: Buffer[] }> } }

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
    const records: ForwardRecord[] = Array.from({ length: n }, (_, i) => ({
      container_id: 'a'.repeat(64), container_name: '/soak-1', source: 'stdout', log: `soak-1 ${String(i).padStart(10, '0')}`,
    }));
    const written = conn.write(times, records);
    written.catch(() => undefined); // awaited below; a failed assertion first must not leave it unhandled
    try {
      // emit() encoded every entry at once; the library joins them once it has connected.
      const entries = (conn as unknown as QueuedEntries).sender._sendQueue.get('soak')!.eventEntries;
      assert.equal(entries.length, n);
      const size = entries.reduce((s, e) => s + e.length, 0);
      const held = [...new Set(entries.map((e) => e.buffer))].reduce((s, b) => s + b.byteLength, 0);
      assert.ok(held <= 2 * size, `${n} entries of ${size} bytes in all hold ${held} bytes of buffers`);
      await written;
      for (let i = 0; i < 250 && peer.events.length < n; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(peer.events.map((e) => e.record['log']), records.map((r) => r.log), 'every line arrived as it was sent');
      assert.deepEqual(peer.events[0]!.time, { seconds: 1_700_000_000, nanos: 0, eventTime: false });
    } finally {
      conn.end();
    }
  });
});
