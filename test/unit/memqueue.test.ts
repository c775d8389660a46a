import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryQueue } from '../../engine/logs/memqueue';
import { LogMessage, lineLength, message } from '../../engine/logs/message';

const line = (i: number, size = 10) => message('stdout', BigInt(i), Buffer.alloc(size, 97 + (i % 26)));
const lines = (from: number, n: number, size = 10) => Array.from({ length: n }, (_, k) => line(from + k, size));
const size = (msgs: readonly LogMessage[]) => msgs.reduce((n, m) => n + lineLength(m), 0);
const times = (msgs: readonly LogMessage[]) => msgs.map((m) => Number(m.time));
const push = (q: MemoryQueue, msgs: readonly LogMessage[]) => q.push(msgs, size(msgs));

describe('MemoryQueue', () => {
  it('starts empty: take() gives nothing', () => {
    const q = new MemoryQueue();
    assert.equal(q.empty, true);
    assert.equal(q.bytes, 0);
    assert.equal(q.count(), 0);
    assert.deepEqual(q.take(10, 100), []);
  });

  it('passes a lone array that fits on as is, and counts its bytes as taken', () => {
    const q = new MemoryQueue();
    const a = lines(1, 3);
    push(q, a);
    assert.equal(q.bytes, 30);
    assert.equal(q.count(), 3);
    const b = q.take(10, 100);
    assert.equal(b, a); // the same array, not a copy
    assert.equal(q.takenBytes, 30);
    assert.equal(q.bytes, 0);
    assert.equal(q.empty, true);
  });

  it('merges arrays that fit together into one batch', () => {
    const q = new MemoryQueue();
    push(q, lines(1, 2));
    push(q, lines(3, 2));
    const b = q.take(10, 100);
    assert.deepEqual(times(b), [1, 2, 3, 4]);
    assert.equal(q.takenBytes, 40);
    assert.equal(q.empty, true);
  });

  it('take respects maxEvents, keeping the head index across arrays', () => {
    const q = new MemoryQueue();
    push(q, lines(1, 3));
    push(q, lines(4, 3));
    push(q, lines(7, 1));
    assert.deepEqual(times(q.take(2, 1000)), [1, 2]);
    assert.equal(q.takenBytes, 20);
    assert.equal(q.bytes, 50);
    assert.equal(q.count(), 5);
    assert.deepEqual(times(q.take(2, 1000)), [3, 4]); // the rest of the first array, then into the second
    assert.equal(q.count(), 3);
    assert.deepEqual(times(q.take(2, 1000)), [5, 6]);
    assert.deepEqual(times(q.take(2, 1000)), [7]);
    assert.equal(q.takenBytes, 10);
    assert.equal(q.bytes, 0);
    assert.equal(q.empty, true);
  });

  it('take respects maxBytes', () => {
    const q = new MemoryQueue();
    push(q, lines(1, 4));
    push(q, lines(5, 2));
    assert.deepEqual(times(q.take(100, 25)), [1, 2]);
    assert.equal(q.takenBytes, 20);
    assert.deepEqual(times(q.take(100, 35)), [3, 4, 5]);
    assert.equal(q.takenBytes, 30);
    assert.equal(q.bytes, 10);
    assert.deepEqual(times(q.take(100, 35)), [6]);
    assert.equal(q.empty, true);
  });

  it('a single message larger than maxBytes goes alone', () => {
    const q = new MemoryQueue();
    push(q, [line(1, 100), line(2, 5)]);
    assert.deepEqual(times(q.take(10, 50)), [1]);
    assert.equal(q.takenBytes, 100);
    assert.equal(q.bytes, 5);
    assert.deepEqual(times(q.take(10, 50)), [2]);
    assert.equal(q.takenBytes, 5);
    // a lone oversized array of one message is taken too (copied, not passed as is)
    const big = [line(3, 100)];
    push(q, big);
    const b = q.take(10, 50);
    assert.deepEqual(times(b), [3]);
    assert.equal(q.takenBytes, 100);
    assert.equal(q.empty, true);
  });

  it('empty lines: queued with 0 bytes, still not empty', () => {
    const q = new MemoryQueue();
    push(q, [line(1, 0)]);
    assert.equal(q.bytes, 0);
    assert.equal(q.empty, false);
    assert.deepEqual(times(q.take(10, 10)), [1]);
    assert.equal(q.takenBytes, 0);
    assert.equal(q.empty, true);
  });

  it('count stops at the limit and accounts for the head', () => {
    const q = new MemoryQueue();
    push(q, lines(1, 5));
    push(q, lines(6, 5));
    assert.equal(q.count(), 10);
    assert.equal(q.count(3), 5); // whole arrays are counted until the limit is reached
    q.take(2, 1000);
    assert.equal(q.count(), 8);
    assert.equal(q.count(Infinity), 8);
  });

  it('dropOldest drops from the front until enough bytes are freed and returns the count', () => {
    const q = new MemoryQueue();
    push(q, lines(1, 2, 10));
    push(q, [line(3, 30), line(4, 10)]);
    assert.equal(q.dropOldest(15), 2); // 10 + 10 >= 15
    assert.equal(q.bytes, 40);
    assert.equal(q.count(), 2);
    assert.equal(q.dropOldest(1), 1); // one 30-byte line
    assert.equal(q.bytes, 10);
    assert.deepEqual(times(q.take(10, 100)), [4]);
    assert.equal(q.takenBytes, 10);
  });

  it('dropOldest within an array moves the head', () => {
    const q = new MemoryQueue();
    push(q, lines(1, 4));
    assert.equal(q.dropOldest(20), 2);
    assert.equal(q.bytes, 20);
    assert.deepEqual(q.arrays().map(times), [[3, 4]]);
    assert.deepEqual(times(q.take(10, 100)), [3, 4]);
    assert.equal(q.takenBytes, 20);
  });

  it('dropOldest never frees more than is queued', () => {
    const q = new MemoryQueue();
    push(q, lines(1, 2));
    assert.equal(q.dropOldest(1000), 2);
    assert.equal(q.bytes, 0);
    assert.equal(q.empty, true);
    assert.equal(q.dropOldest(10), 0);
    assert.equal(q.dropOldest(0), 0);
  });

  it('arrays gives what is queued (the first array cut at the head) without taking it', () => {
    const q = new MemoryQueue();
    const a = lines(1, 3);
    const b = lines(4, 2);
    push(q, a);
    push(q, b);
    assert.deepEqual(q.arrays().map(times), [[1, 2, 3], [4, 5]]);
    assert.equal(q.arrays()[0], a);
    q.take(1, 1000);
    const arrays = q.arrays();
    assert.deepEqual(arrays.map(times), [[2, 3], [4, 5]]);
    assert.equal(arrays[1], b);
    assert.equal(q.count(), 4);
    assert.equal(q.bytes, 40);
  });

  it('dropAll returns how many were queued and empties it; clear empties it too', () => {
    const q = new MemoryQueue();
    push(q, lines(1, 3));
    push(q, lines(4, 2));
    q.take(1, 1000);
    assert.equal(q.dropAll(), 4);
    assert.equal(q.bytes, 0);
    assert.equal(q.empty, true);
    assert.equal(q.count(), 0);
    assert.equal(q.dropAll(), 0);
    push(q, lines(10, 2));
    assert.deepEqual(times(q.take(10, 100)), [10, 11]); // the head was reset
    push(q, lines(20, 2));
    q.take(1, 100);
    q.clear();
    assert.equal(q.empty, true);
    assert.equal(q.bytes, 0);
    push(q, lines(30, 1));
    assert.deepEqual(times(q.take(10, 100)), [30]);
  });
});
