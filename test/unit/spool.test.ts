import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LogMessage, message } from '../../engine/logs/message';
import { Spool } from '../../engine/logs/spool';
import { RECORD_HEADER, SEGMENT_MAGIC, decodePayload, encodeRecords, validLength } from '../../engine/logs/spoolformat';

const line = (i: number, size = 90) => message('stdout', BigInt(i), Buffer.from(`n${String(i).padStart(6, '0')} ${'x'.repeat(size)}`));
const numbersOf = (msgs: readonly LogMessage[]) => msgs.map((m) => Number(m.time));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'corral-spool-'));

/** Reads everything from the spool, committing batch by batch. */
function drain(s: Spool, maxEvents = 50, maxBytes = 1 << 20): number[] {
  const out: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const b = s.next(maxEvents, maxBytes);
    s.commit();
    if (!b.length && s.empty) return out;
    out.push(...numbersOf(b));
  }
  throw new Error('spool never emptied');
}

const segFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();

describe('spool record format', () => {
  it('round-trips streams, times, partial chunks, attributes and empty lines', () => {
    const msgs = [
      message('stdout', 1_700_000_000_123_456_789n, Buffer.from('hello')),
      message('stderr', 2n, Buffer.alloc(0)),
      message('stdout', 3n, Buffer.from('part one'), { id: 'abc', ordinal: 1, last: false }),
      message('stdout', 3n, Buffer.from('end'), { id: 'abc', ordinal: 2, last: true }, { k: 'v', 'ü': 'ñ' }),
      message('stdout', 4n, Buffer.from([0, 255, 10, 13])),
    ];
    const recs = encodeRecords(msgs);
    assert.equal(recs.length, 1);
    const back = decodePayload(recs[0]!.subarray(RECORD_HEADER));
    assert.deepEqual(back.map((m) => [m.stream, m.time, m.line.toString('hex'), m.partial, m.attrs]), msgs.map((m) => [m.stream, m.time, m.line.toString('hex'), m.partial, m.attrs]));
  });

  it('cuts many lines into records of about 32 KiB, never splitting a line', () => {
    const msgs = Array.from({ length: 2000 }, (_, i) => line(i));
    const recs = encodeRecords(msgs);
    assert.ok(recs.length > 4);
    for (const r of recs) assert.ok(r.length <= 33 * 1024);
    assert.deepEqual(recs.flatMap((r) => numbersOf(decodePayload(r.subarray(RECORD_HEADER)))), numbersOf(msgs));
  });

  it('finds where the intact records end: a cut record or a flipped byte ends them', () => {
    const recs = [encodeRecords([line(1)])[0]!, encodeRecords([line(2)])[0]!, encodeRecords([line(3)])[0]!];
    const whole = Buffer.concat([SEGMENT_MAGIC, ...recs]);
    assert.equal(validLength(whole), whole.length);
    const twoEnd = SEGMENT_MAGIC.length + recs[0]!.length + recs[1]!.length;
    assert.equal(validLength(whole.subarray(0, whole.length - 5)), twoEnd, 'torn last record');
    assert.equal(validLength(whole.subarray(0, twoEnd + 3)), twoEnd, 'torn header');
    const flipped = Buffer.from(whole);
    flipped[SEGMENT_MAGIC.length + recs[0]!.length + RECORD_HEADER + 20]! ^= 0xff;
    assert.equal(validLength(flipped), SEGMENT_MAGIC.length + recs[0]!.length, 'bad checksum');
    assert.equal(validLength(Buffer.from('not a spool at all')), 0);
  });
});

describe('Spool', () => {
  it('gives back what was appended, in order, across segments, and deletes each segment once read', () => {
    const dir = tmp();
    const s = Spool.open({ dir, maxBytes: 10_000_000, segmentBytes: 64 << 10 });
    for (let i = 0; i < 50; i++) assert.equal(s.append(Array.from({ length: 40 }, (_, j) => line(i * 40 + j))), true);
    const segs = segFiles(dir).length;
    assert.ok(segs >= 3, `several segments (${segs})`);
    const got: number[] = [];
    let fewer = false;
    while (!s.empty) {
      got.push(...numbersOf(s.next(100, 1 << 20)));
      s.commit();
      if (segFiles(dir).length < segs) fewer = true;
    }
    assert.ok(fewer, 'segments are deleted while draining, not at the end only');
    assert.deepEqual(got, Array.from({ length: 2000 }, (_, i) => i));
    assert.equal(s.bytes, 0);
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing left once empty');
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hands out the same batch until it is committed, and splits records by maxEvents / maxBytes', () => {
    const dir = tmp();
    const s = Spool.open({ dir, maxBytes: 1_000_000 });
    s.append(Array.from({ length: 10 }, (_, i) => line(i)));
    assert.deepEqual(numbersOf(s.next(3, 1 << 20)), [0, 1, 2]);
    assert.deepEqual(numbersOf(s.next(3, 1 << 20)), [0, 1, 2], 'not committed: read again');
    s.commit();
    assert.deepEqual(numbersOf(s.next(100, 250)), [3, 4], 'maxBytes (98-byte lines)');
    s.commit();
    assert.deepEqual(drain(s), [5, 6, 7, 8, 9]);
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('survives a reopen: the read position is kept, delivered lines are not read again', () => {
    const dir = tmp();
    const a = Spool.open({ dir, maxBytes: 10_000_000, segmentBytes: 64 << 10 });
    for (let i = 0; i < 20; i++) a.append(Array.from({ length: 50 }, (_, j) => line(i * 50 + j)));
    for (let i = 0; i < 9; i++) { a.next(37, 1 << 20); a.commit(); } // 333 lines, mid-record
    a.next(37, 1 << 20); // in flight when the agent died: read again
    a.close();
    const b = Spool.open({ dir, maxBytes: 10_000_000, segmentBytes: 64 << 10 });
    assert.deepEqual(drain(b), Array.from({ length: 1000 - 333 }, (_, i) => 333 + i));
    b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses what does not fit in maxBytes, whole, and takes lines again once space came back', () => {
    const dir = tmp();
    const s = Spool.open({ dir, maxBytes: 64_000, segmentBytes: 16_000 });
    let n = 0;
    while (s.append(Array.from({ length: 10 }, (_, j) => line(n * 10 + j)))) n++;
    assert.ok(n > 10 && s.bytes <= 64_000, `filled: ${n} appends, ${s.bytes} bytes`);
    const before = s.bytes;
    assert.equal(s.append(Array.from({ length: 10 }, (_, j) => line(90_000 + j))), false, 'still full');
    assert.equal(s.bytes, before, 'a refused append leaves nothing behind');
    // Reading frees a segment at a time.
    for (let i = 0; i < 10; i++) { s.next(100, 1 << 20); s.commit(); }
    assert.ok(s.bytes < before, 'space reclaimed while draining');
    assert.equal(s.append([line(123_456)]), true);
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('cuts a torn tail on open with a warning and keeps every intact record', () => {
    const dir = tmp();
    const a = Spool.open({ dir, maxBytes: 10_000_000 });
    for (let i = 0; i < 10; i++) a.append([line(i)]);
    a.close();
    const seg = path.join(dir, segFiles(dir).at(-1)!);
    fs.truncateSync(seg, fs.statSync(seg).size - 7); // a write cut by a crash
    fs.appendFileSync(seg, Buffer.alloc(3, 0xaa));
    const warnings: string[] = [];
    const b = Spool.open({ dir, maxBytes: 10_000_000, warn: (t) => warnings.push(t) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /torn or corrupt tail/);
    b.append([line(100)]); // appends go after the cut, not after the garbage
    assert.deepEqual(drain(b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 100]);
    b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('skips a corrupt record inside a finished segment with a warning, and reads the next segments', () => {
    const dir = tmp();
    const a = Spool.open({ dir, maxBytes: 10_000_000, segmentBytes: 64 << 10 });
    for (let i = 0; i < 30; i++) a.append(Array.from({ length: 40 }, (_, j) => line(i * 40 + j)));
    a.close();
    const first = path.join(dir, segFiles(dir)[0]!);
    const fd = fs.openSync(first, 'r+');
    fs.writeSync(fd, Buffer.from('garbage!'), 0, 8, SEGMENT_MAGIC.length + RECORD_HEADER + 100);
    fs.closeSync(fd);
    const warnings: string[] = [];
    const b = Spool.open({ dir, maxBytes: 10_000_000, segmentBytes: 64 << 10, warn: (t) => warnings.push(t) });
    const got = drain(b);
    assert.equal(warnings.length, 1, warnings.join('; '));
    assert.match(warnings[0]!, /corrupt record/);
    assert.ok(got.length > 0 && got.length < 1200);
    assert.deepEqual(got, [...got].sort((x, y) => x - y), 'still in order');
    assert.equal(got.at(-1), 1199, 'the later segments are all there');
    b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a record found corrupt in the segment being written: later lines go to a new segment and are read', () => {
    const dir = tmp();
    const warnings: string[] = [];
    const s = Spool.open({ dir, maxBytes: 10_000_000, warn: (t) => warnings.push(t) });
    s.append([line(1)]);
    s.append([line(2)]);
    const seg = path.join(dir, segFiles(dir)[0]!);
    const fd = fs.openSync(seg, 'r+');
    fs.writeSync(fd, Buffer.from('XX'), 0, 2, fs.statSync(seg).size - 20); // the disk went bad under the second record
    fs.closeSync(fd);
    assert.deepEqual(drain(s), [1]);
    assert.equal(warnings.length, 1);
    s.append([line(3)]);
    assert.deepEqual(drain(s), [3]);
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('one reader at a time: a released spool is offered to whoever waits', () => {
    const dir = tmp();
    const s = Spool.open({ dir, maxBytes: 1_000_000 });
    const a = {};
    const b = {};
    assert.equal(s.claim(a), true);
    assert.equal(s.claim(b), false);
    assert.equal(s.readByOther(b), true);
    let told = 0;
    s.onRelease(() => told++);
    s.release(b); // not the reader: nothing happens
    assert.equal(told, 0);
    s.release(a);
    assert.equal(told, 1);
    assert.equal(s.claim(b), true);
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
