import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import fluentLogger from 'fluent-logger';
import { encodeEntry } from '../../drivers/fluentd/entry';
import { EventTime, ForwardRecord, ForwardTime } from '../../drivers/fluentd/record';

/** fluent-logger's own encoder for a PackedForward entry (msgpack-lite), the bytes ours must match. */
const library = fluentLogger.createFluentSender('t', { eventMode: 'PackedForward' }) as unknown as {
  _makeEventEntry(time: ForwardTime, data: ForwardRecord): Buffer;
};
const libraryEntry = (t: ForwardTime, r: ForwardRecord) => library._makeEventEntry(t, r);

// Lengths on each side of every msgpack size class (fixstr < 32, str8 <= 255, str16 <= 65535, str32).
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(31, 32, 255, 256, 65535, 65536).chain((n) => fc.constantFrom('x'.repeat(n), 'é'.repeat(n >> 1), `${'y'.repeat(n - 1)}\u{1F600}`)),
);
const seconds = fc.oneof(fc.constantFrom(1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 1, max: 0xffffffff }));
const time: fc.Arbitrary<ForwardTime> = fc.oneof(seconds, fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 999_999_999 })).map(([s, ns]) => new EventTime(s, ns)));

describe('fluentd PackedForward entries', () => {
  test('the same bytes as fluent-logger\'s encoder, for any record of strings and any time', () => {
    fc.assert(fc.property(time, fc.dictionary(text, text, { maxKeys: 20 }), (t, r) => {
      assert.deepEqual(encodeEntry(t, r), libraryEntry(t, r));
    }), { numRuns: 400 });
    const many = Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, 'v'])); // map16 and map32 headers
    assert.deepEqual(encodeEntry(1_700_000_000, many), libraryEntry(1_700_000_000, many));
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    assert.deepEqual(encodeEntry(1_700_000_000, sixteen), libraryEntry(1_700_000_000, sixteen));
  });

  test('what it does not encode is left to the library', () => {
    assert.equal(encodeEntry(1.5, { log: 'x' }), undefined);
    assert.equal(encodeEntry(-1, { log: 'x' }), undefined);
    assert.equal(encodeEntry(2 ** 32, { log: 'x' }), undefined);
    assert.equal(encodeEntry(1, { log: 3 } as unknown as ForwardRecord), undefined);
  });

  test('an entry holds about its own size, not msgpack-lite\'s 2 KiB buffer', () => {
    const r = { container_id: 'a'.repeat(64), container_name: '/soak-1', source: 'stdout', log: 'soak-1 0000000123' };
    const entries = Array.from({ length: 8192 }, () => encodeEntry(1_700_000_000, r)!);
    const held = new Set(entries.map((e) => e.buffer));
    const heldBytes = [...held].reduce((n, b) => n + b.byteLength, 0);
    const size = entries.reduce((n, e) => n + e.length, 0);
    assert.ok(heldBytes <= 2 * size, `8192 entries of ${entries[0]!.length} bytes hold ${heldBytes} bytes of buffers`);
  });
});
