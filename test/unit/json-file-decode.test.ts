import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { endsLine } from '../../engine/logs/message';
import { Entry, PartialTracker, decodeEntry, peekTime } from '../../drivers/json-file/reader/decode';

const T = 1_714_557_600_123_456_789n; // 2024-05-01T10:00:00.123456789Z

function decode(line: string): Entry | string {
  // Decode from the middle of a larger buffer, as the reader does.
  const buf = Buffer.from(`xx${line}\nyy`);
  return decodeEntry(buf, 2, 2 + Buffer.byteLength(line));
}

function entry(line: string): Entry {
  const e = decode(line);
  if (typeof e === 'string') assert.fail(`expected an entry, got: ${e}`);
  return e;
}

describe('json-file decodeEntry', () => {
  it('decodes Docker bytes: log, stream, attrs, time', () => {
    const e = entry('{"log":"hi \\"there\\"\\u0009\\u003c\\u2028\\n","stream":"stderr","attrs":{"tag":"web"},"time":"2024-05-01T10:00:00.123456789Z"}');
    assert.equal(e.line.toString(), 'hi "there"\t<\u2028');
    assert.equal(e.stream, 'stderr');
    assert.equal(e.time, T);
    assert.equal(e.complete, true);
    assert.deepEqual(e.attrs, { tag: 'web' });
  });

  it('a log without its trailing newline is a chunk of a long line', () => {
    const e = entry('{"log":"part","stream":"stdout","time":"2024-05-01T10:00:00Z"}');
    assert.equal(e.complete, false);
    assert.equal(e.line.toString(), 'part');
  });

  it('reads times with fewer digits, an offset, and other key orders', () => {
    assert.equal(entry('{"log":"a\\n","stream":"stdout","time":"2024-05-01T10:00:00.1234567Z"}').time, T - 89n);
    assert.equal(entry('{"time":"2024-05-01T12:00:00.123456789+02:00","log":"a\\n","stream":"stdout"}').time, T);
  });

  it('a missing log is an empty line (Docker omits empty keys); empty attrs are none', () => {
    const e = entry('{"stream":"stdout","attrs":{},"time":"2024-05-01T10:00:00Z"}');
    assert.equal(e.line.length, 0);
    assert.equal(e.complete, false);
    assert.equal(e.attrs, undefined);
  });

  it('says why a line is not an entry, and never throws', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty/],
      ['garbage', /not JSON/],
      ['{"log":"cut', /not JSON/],
      ['[1,2]', /not a JSON object/],
      ['{"log":5,"stream":"stdout","time":"2024-05-01T10:00:00Z"}', /"log"/],
      ['{"log":"a\\n","stream":"stdin","time":"2024-05-01T10:00:00Z"}', /"stream"/],
      ['{"log":"a\\n","stream":"stdout"}', /"time"/],
      ['{"log":"a\\n","stream":"stdout","time":"2024-13-01T10:00:00Z"}', /"time"/],
      ['{"log":"a\\n","stream":"stdout","time":"yesterday"}', /"time"/],
      ['{"log":"a\\n","stream":"stdout","attrs":{"n":1},"time":"2024-05-01T10:00:00Z"}', /"attrs"/],
    ];
    for (const [line, why] of bad) assert.match(String(decode(line)), why, line);
  });
});

describe('json-file peekTime', () => {
  const time = (line: string) => peekTime(Buffer.from(line), 0, Buffer.byteLength(line));

  it('reads the time field at the end of a Docker entry', () => {
    assert.equal(time('{"log":"x\\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}'), T);
  });

  it('is not fooled by "time" inside the log or attrs', () => {
    assert.equal(time('{"log":"\\"time\\":\\"2030-01-01T00:00:00Z\\"","stream":"stdout","attrs":{"time":"2030-01-01T00:00:00Z"},"time":"2024-05-01T10:00:00.123456789Z"}'), T);
    assert.equal(time('{"time":"2024-05-01T10:00:00.123456789Z","log":"x","stream":"stdout","attrs":{"time":"2030-01-01T00:00:00Z"}}'), T);
    assert.equal(time('{"time":"2024-05-01T10:00:00.123456789Z","log":"x","stream":"stdout"}'), T);
  });

  it('gives undefined for a line without a valid time', () => {
    assert.equal(time('{"log":"x\\n","stream":"stdout","time":"soon"}'), undefined);
    assert.equal(time('garbage'), undefined);
  });
});

describe('json-file PartialTracker', () => {
  it('gives chunks back their partial marks, per stream, so no newline is added to a chunk', () => {
    const t = new PartialTracker();
    const e = (stream: 'stdout' | 'stderr', text: string, complete: boolean): Entry => ({ stream, time: T, line: Buffer.from(text), complete, attrs: undefined });
    const out = [
      e('stdout', 'whole', true),
      e('stdout', 'a', false),
      e('stderr', 'other', true),
      e('stdout', 'b', false),
      e('stdout', 'c', true),
    ].map((x) => t.toMessage(x));
    assert.deepEqual(out.map((m) => [m.line.toString(), m.partial?.ordinal, m.partial?.last, endsLine(m)]), [
      ['whole', undefined, undefined, true],
      ['a', 1, false, false],
      ['other', undefined, undefined, true],
      ['b', 2, false, false],
      ['c', 3, true, true],
    ]);
  });
});
