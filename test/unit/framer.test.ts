import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { StreamClock, WallClock } from '../../engine/logs/clock';
import { LineFramer, MAX_LINE } from '../../engine/logs/framer';
import { LogMessage } from '../../engine/logs/message';
import { native } from '../../engine/native';

/** A wall clock that says what the test tells it to. */
function fakeWall(start = 1_000_000_000n): { wall: WallClock; set(ns: bigint): void; step(ns: bigint): void } {
  let now = start;
  const wall = { nowNs: () => now } as unknown as WallClock;
  return { wall, set: (ns) => { now = ns; }, step: (ns) => { now += ns; } };
}

function framer(stream: 'stdout' | 'stderr' = 'stdout') {
  const clock = fakeWall();
  return { f: new LineFramer(stream, new StreamClock(clock.wall)), clock };
}

const text = (ms: readonly LogMessage[]) => ms.map((m) => m.line.toString('latin1'));

describe(`LineFramer (${native ? 'native newline scan' : 'TypeScript newline scan'})`, () => {
  it('cuts a chunk into lines without their newline, one time for the whole chunk', () => {
    const { f } = framer();
    const out = f.push(Buffer.from('one\ntwo\n\nfour\n'));
    assert.deepEqual(text(out), ['one', 'two', '', 'four']);
    assert.equal(new Set(out.map((m) => m.time)).size, 1);
    for (const m of out) {
      assert.equal(m.stream, 'stdout');
      assert.equal(m.partial, undefined);
      assert.equal(m.attrs, undefined);
      assert.deepEqual(m.src.subarray(m.start, m.end), m.line);
    }
  });

  it('keeps CR of CRLF in the line (Docker does not strip it)', () => {
    const { f } = framer('stderr');
    const out = f.push(Buffer.from('a\r\nb\r\n\r\n'));
    assert.deepEqual(text(out), ['a\r', 'b\r', '\r']);
    assert.equal(out[0]!.stream, 'stderr');
  });

  it('lines are zero-copy views of the chunk', () => {
    const { f } = framer();
    const chunk = Buffer.from('x\nyy\n');
    const out = f.push(chunk);
    assert.equal(out[1]!.src, chunk);
    assert.deepEqual([out[1]!.start, out[1]!.end], [2, 4]);
  });

  it('a line split across chunks is one message, stamped at the read that completed it', () => {
    const { f, clock } = framer();
    assert.deepEqual(f.push(Buffer.from('hel')), []);
    clock.step(500n);
    const out = f.push(Buffer.from('lo\nnext\npart'));
    assert.deepEqual(text(out), ['hello', 'next']);
    assert.equal(out[0]!.time, out[1]!.time);
    assert.equal(out[0]!.partial, undefined);
    clock.step(500n);
    assert.deepEqual(text(f.push(Buffer.from('ial\n'))), ['partial']);
  });

  it('a line split over many small chunks', () => {
    const { f } = framer();
    const all: LogMessage[] = [];
    for (const c of 'abcdefg\nhij\n') all.push(...f.push(Buffer.from(c)));
    assert.deepEqual(text(all), ['abcdefg', 'hij']);
  });

  it('a line of 16383 bytes is whole; 16384 bytes become a full chunk and an empty last one (as Docker)', () => {
    const { f } = framer();
    const under = f.push(Buffer.concat([Buffer.alloc(MAX_LINE - 1, 'a'), Buffer.from('\n')]));
    assert.equal(under.length, 1);
    assert.equal(under[0]!.partial, undefined);
    assert.equal(under[0]!.line.length, MAX_LINE - 1);

    const exact = f.push(Buffer.concat([Buffer.alloc(MAX_LINE, 'b'), Buffer.from('\n')]));
    assert.equal(exact.length, 2);
    assert.equal(exact[0]!.line.length, MAX_LINE);
    assert.deepEqual({ ...exact[0]!.partial!, id: '' }, { id: '', ordinal: 1, last: false });
    assert.equal(exact[1]!.line.length, 0);
    assert.deepEqual({ ...exact[1]!.partial!, id: '' }, { id: '', ordinal: 2, last: true });
    assert.equal(exact[0]!.partial!.id, exact[1]!.partial!.id);
    assert.match(exact[0]!.partial!.id, /^[0-9a-f]{64}$/);
  });

  it('16385 and 2*16384+5 bytes: chunks of 16 KiB, the rest last; then normal lines again', () => {
    const { f } = framer();
    const out = f.push(Buffer.concat([Buffer.alloc(MAX_LINE + 1, 'c'), Buffer.from('\n'), Buffer.alloc(2 * MAX_LINE + 5, 'd'), Buffer.from('\nok\n')]));
    assert.deepEqual(out.map((m) => [m.line.length, m.partial?.ordinal, m.partial?.last]),
      [[MAX_LINE, 1, false], [1, 2, true], [MAX_LINE, 1, false], [MAX_LINE, 2, false], [5, 3, true], [2, undefined, undefined]]);
    assert.notEqual(out[0]!.partial!.id, out[2]!.partial!.id, 'each long line has its own id');
  });

  it('partial chunks of a long line share the first chunk\'s time, across reads', () => {
    const { f, clock } = framer();
    const a = f.push(Buffer.alloc(10_000, 'x'));
    assert.deepEqual(a, []); // not 16 KiB yet: waits
    clock.step(1000n);
    const b = f.push(Buffer.alloc(10_000, 'y'));
    assert.equal(b.length, 1);
    assert.equal(b[0]!.line.length, MAX_LINE);
    clock.step(1000n);
    const c = f.push(Buffer.from('zz\nnext\n'));
    assert.deepEqual(c.map((m) => m.line.length), [20_000 - MAX_LINE + 2, 4]);
    assert.equal(c[0]!.partial!.last, true);
    assert.equal(c[0]!.partial!.id, b[0]!.partial!.id);
    assert.equal(c[0]!.time, b[0]!.time, 'the last chunk carries the first chunk\'s time');
    assert.ok(c[1]!.time > c[0]!.time);
    assert.equal(c[1]!.partial, undefined);
    assert.equal(b[0]!.line.toString('latin1'), 'x'.repeat(10_000) + 'y'.repeat(MAX_LINE - 10_000));
  });

  it('end() turns what is left into a final partial without newline; nothing left, nothing', () => {
    const { f } = framer();
    assert.deepEqual(text(f.push(Buffer.from('done\nunfinished'))), ['done']);
    const end = f.end();
    assert.deepEqual(text(end), ['unfinished']);
    assert.equal(end[0]!.partial!.ordinal, 1);
    assert.equal(end[0]!.partial!.last, false);
    assert.deepEqual(f.end(), []);
    const { f: g } = framer();
    g.push(Buffer.from('all done\n'));
    assert.deepEqual(g.end(), []);
  });

  it('end() after 16 KiB partials continues their ordinals and id', () => {
    const { f } = framer();
    const first = f.push(Buffer.alloc(MAX_LINE + 3, 'q'));
    assert.equal(first.length, 1);
    const end = f.end();
    assert.equal(end.length, 1);
    assert.equal(end[0]!.line.length, 3);
    assert.deepEqual([end[0]!.partial!.id, end[0]!.partial!.ordinal, end[0]!.partial!.last], [first[0]!.partial!.id, 2, false]);
  });

  it('times are monotonic within a stream even when the wall clock steps back', () => {
    const { f, clock } = framer();
    const times: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      if (i === 2) clock.set(10n); // NTP step backwards
      times.push(...f.push(Buffer.from(`l${i}\n`)).map((m) => m.time));
    }
    times.push(...f.push(Buffer.from('tail')).map((m) => m.time), ...f.end().map((m) => m.time));
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, `time ${i} went back`);
  });

  it('a chunk with more lines than one native scan holds (8192): every line, in order', () => {
    const { f } = framer();
    const n = 20_000;
    const body = Array.from({ length: n }, (_, i) => String(i)).join('\n') + '\n';
    const out = f.push(Buffer.from(body));
    assert.equal(out.length, n);
    for (let i = 0; i < n; i += 997) assert.equal(out[i]!.line.toString(), String(i));
    assert.equal(out[n - 1]!.line.toString(), String(n - 1));
  });

  it('random chunking gives the same lines as one big chunk', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const lines = Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? 'L'.repeat(20_000) : `line ${i} ${'x'.repeat(Math.floor(rnd() * 200))}`));
    const data = Buffer.from(lines.join('\n') + '\n');
    const join = (ms: LogMessage[]) => {
      // Reassemble partials so both framings compare line by line.
      const res: string[] = [];
      let acc = '';
      for (const m of ms) {
        acc += m.line.toString('latin1');
        if (!m.partial || m.partial.last) { res.push(acc); acc = ''; }
      }
      return res;
    };
    const { f: whole } = framer();
    const expected = join(whole.push(Buffer.from(data)));
    assert.deepEqual(expected, lines);
    const { f } = framer();
    const got: LogMessage[] = [];
    for (let pos = 0; pos < data.length;) {
      const len = 1 + Math.floor(rnd() * 70_000);
      got.push(...f.push(Buffer.from(data.subarray(pos, pos + len))));
      pos += len;
    }
    got.push(...f.end());
    assert.deepEqual(join(got), lines);
  });

  it('passes with the TypeScript newline scan too (CORRAL_NO_NATIVE=1)', { skip: !native || process.env['CORRAL_NO_NATIVE'] === '1' ? 'already the TypeScript path' : false }, () => {
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=dot', __filename], {
      env: { ...process.env, CORRAL_NO_NATIVE: '1' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
