import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LogMessage, message } from '../../engine/logs/message';
import { EventAssembler } from '../../drivers/awslogs/events';
import { CallPacker, packCalls } from '../../drivers/awslogs/calls';
import { CwEvent, EVENT_OVERHEAD, MAX_CALL_BYTES, MAX_CALL_EVENTS, MAX_CALL_SPAN_MS, MAX_EVENT_BYTES } from '../../drivers/awslogs/limits';

const MS = 1_000_000n;
const T = 1_700_000_000_000n * MS;
const line = (text: string | Buffer, ms = 0, stream: 'stdout' | 'stderr' = 'stdout') => message(stream, T + BigInt(ms) * MS, Buffer.isBuffer(text) ? text : Buffer.from(text));

/** The framer's cut of one long line into chunks of `size` bytes (all stamped with the first chunk's time). */
function chunks(bytes: Buffer, size: number, id = 'p', ms = 0, stream: 'stdout' | 'stderr' = 'stdout'): LogMessage[] {
  const out: LogMessage[] = [];
  for (let at = 0, n = 1; at < bytes.length; at += size, n++) {
    out.push(message(stream, T + BigInt(ms) * MS, bytes.subarray(at, at + size), { id, ordinal: n, last: at + size >= bytes.length }));
  }
  return out;
}

function assemble(a: EventAssembler, ...batches: LogMessage[][]): CwEvent[] {
  const out: CwEvent[] = [];
  for (const b of batches) a.add(b, out);
  return out;
}

describe('awslogs events', () => {
  it('makes one event per line: time in ms, text, UTF-8 size, messages', () => {
    const out = assemble(new EventAssembler(undefined), [line('hello', 1), line('café', 2, 'stderr'), line(Buffer.from([0x61, 0xff, 0x62]), 3)]);
    assert.deepEqual(out, [
      { timestamp: 1_700_000_000_001, message: 'hello', bytes: 5, messages: 1, prior: 0, heldAt: 0 },
      { timestamp: 1_700_000_000_002, message: 'café', bytes: 5, messages: 1, prior: 0, heldAt: 0 },
      { timestamp: 1_700_000_000_003, message: 'a\ufffdb', bytes: 5, messages: 1, prior: 0, heldAt: 0 }, // an invalid byte is U+FFFD: 3 bytes
    ]);
  });

  it('skips empty lines (CloudWatch stores no empty event) and counts them', () => {
    const a = new EventAssembler(undefined);
    assert.deepEqual(assemble(a, [line(''), line('x'), line('')]).map((e) => e.message), ['x']);
    assert.equal(a.empties, 2);
  });

  it('joins the chunks of a long line into one event, a character cut between chunks included', () => {
    const text = 'é'.repeat(20_000); // 40,000 bytes: chunks of 16,383 cut every 'é' in two at the boundaries
    const out = assemble(new EventAssembler(undefined), [line('before'), ...chunks(Buffer.from(text), 16_383), line('after')]);
    assert.deepEqual(out.map((e) => [e.message === text ? 'text' : e.message, e.messages]), [['before', 1], ['text', 3], ['after', 1]]);
  });

  it('cuts a line longer than 262,118 bytes into full events on character boundaries', () => {
    const text = 'x' + '€'.repeat(200_000); // 600,001 bytes, 3-byte characters
    const out = assemble(new EventAssembler(undefined), [...chunks(Buffer.from(text), 16_384)]);
    assert.equal(out.map((e) => e.message).join(''), text);
    assert.deepEqual(out.map((e) => e.bytes), [262_117, 262_116, 75_768]);
    for (const e of out) assert.equal(Buffer.byteLength(e.message), e.bytes);
    assert.ok(out.every((e) => e.bytes <= MAX_EVENT_BYTES));
    assert.deepEqual(out.map((e) => e.messages), [0, 0, 37], 'the line is counted once, on its last piece');
  });

  it('counts invalid bytes as the 3-byte U+FFFD they become when cutting', () => {
    const out = assemble(new EventAssembler(undefined), [line(Buffer.alloc(100_000, 0xff))]);
    assert.deepEqual(out.map((e) => e.bytes), [262_116, 37_884]);
    assert.ok(out.every((e) => Buffer.byteLength(e.message) === e.bytes && /^\ufffd+$/.test(e.message)));
  });

  it('keeps an unfinished line open across batches, per stream, and counts what earlier batches brought', () => {
    const a = new EventAssembler(undefined);
    const [c1, c2] = chunks(Buffer.from('a'.repeat(20)), 10, 'q');
    assert.deepEqual(assemble(a, [c1!, line('err', 5, 'stderr')]).map((e) => e.message), ['err']);
    assert.notEqual(a.nextDue(1000), undefined);
    const out = assemble(a, [c2!]);
    assert.deepEqual(out.map((e) => [e.message, e.messages, e.prior]), [['a'.repeat(20), 2, 1]]);
    assert.equal(a.nextDue(1000), undefined);
  });

  it('joins multiline events as Docker does: a match starts one, each line ends with \\n, streams apart', () => {
    const a = new EventAssembler(/^\d{4}-/);
    const out = assemble(a, [
      line('2024-01-01 boom', 1), line('  at a()', 2), line('2024-01-01 err', 3, 'stderr'), line('  at b()', 4), line('', 5), line('2024-01-01 next', 6),
      line('  at e()', 7, 'stderr'),
    ]);
    assert.deepEqual(out.map((e) => [e.timestamp - 1_700_000_000_000, e.message, e.messages]), [[1, '2024-01-01 boom\n  at a()\n  at b()\n\n', 4]]);
    const rest: CwEvent[] = [];
    a.closeDue(0, rest);
    assert.deepEqual(rest.map((e) => [e.timestamp - 1_700_000_000_000, e.message, e.messages, e.prior]).sort(),
      [[3, '2024-01-01 err\n  at e()\n', 2, 2], [6, '2024-01-01 next\n', 1, 1]]);
  });

  it('closes a multiline event that would pass the event size, keeping its time for the next part', () => {
    const a = new EventAssembler(/^START/);
    const big = 'y'.repeat(200_000);
    const out = assemble(a, [line('START', 1), line(big, 2), line(big, 3)]);
    assert.deepEqual(out.map((e) => [e.timestamp - 1_700_000_000_000, e.bytes]), [[1, 6 + 200_001]]);
    const rest: CwEvent[] = [];
    a.closeDue(0, rest);
    assert.deepEqual(rest.map((e) => [e.timestamp - 1_700_000_000_000, e.bytes]), [[1, 200_001]]);
  });

  it('drops the open events of a batch the outlet gave up, reporting the earlier messages in them', () => {
    const a = new EventAssembler(/^S/);
    assemble(a, [line('S1'), line(' a')], [line(' b'), line('S2', 0, 'stderr')]);
    assert.equal(a.discardLastBatch(), 2, "stdout's event held 2 earlier messages; stderr's only new ones");
    const rest: CwEvent[] = [];
    a.closeDue(0, rest);
    assert.deepEqual(rest, []);
  });
});

describe('awslogs calls', () => {
  const ev = (timestamp: number, bytes = 1): CwEvent => ({ timestamp, message: 'x'.repeat(bytes), bytes, messages: 1, prior: 0, heldAt: 0 });
  const size = (call: CwEvent[]) => call.reduce((n, e) => n + e.bytes + EVENT_OVERHEAD, 0);

  it('sorts by time, keeping the order of equal times', () => {
    const events = [ev(5), { ...ev(3), message: 'a' }, ev(1), { ...ev(3), message: 'b' }];
    assert.deepEqual(packCalls(events)[0]!.map((e) => `${e.timestamp}${e.message}`), ['1x', '3a', '3b', '5x']);
  });

  it('fills each call up to 10,000 events', () => {
    const calls = packCalls(Array.from({ length: 25_000 }, (_, i) => ev(i)));
    assert.deepEqual(calls.map((c) => c.length), [MAX_CALL_EVENTS, MAX_CALL_EVENTS, 5_000]);
  });

  it('fills each call up to 1,048,576 bytes counting 26 per event', () => {
    const calls = packCalls(Array.from({ length: 3_000 }, (_, i) => ev(i, 974))); // 1,000 bytes each with the overhead
    assert.deepEqual(calls.map((c) => c.length), [1_048, 1_048, 904]);
    assert.ok(calls.every((c) => size(c) <= MAX_CALL_BYTES));
    assert.ok(size(calls[0]!) + 1000 > MAX_CALL_BYTES, 'full: one more event would not fit');
  });

  it('goes on filling an open call (the one held back) in place, and says when the last call is worth sending', () => {
    const open = [ev(0, 974), ev(1, 974)];
    const p = new CallPacker({ events: open, bytes: 2_000 });
    for (let i = 0; i < 1_100; i++) p.add(ev(2 + i, 974));
    const { calls, lastBytes, lastFull } = p.finish();
    assert.deepEqual(calls.map((c) => c.length), [1_048, 54]);
    assert.equal(calls[0], open);
    assert.deepEqual([lastBytes, lastFull], [54_000, false]);
    const full = new CallPacker();
    for (let i = 0; i < 1_000; i++) full.add(ev(i, 974));
    assert.equal(full.finish().lastFull, true, '95% of the byte limit is full enough');
  });

  it('never lets a call span more than 24 hours', () => {
    const day = MAX_CALL_SPAN_MS;
    const calls = packCalls([ev(0), ev(day), ev(day + 1), ev(2 * day), ev(3 * day + 5)]);
    assert.deepEqual(calls.map((c) => c.map((e) => e.timestamp)), [[0, day], [day + 1, 2 * day], [3 * day + 5]]);
  });
});
