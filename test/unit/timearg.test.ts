import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseDuration, parseTimeArg } from '../../engine/logs/timearg';

const NOW = 1_714_557_600_000_000_000n; // 2024-05-01T10:00:00Z
const S = 1_000_000_000n;
const parse = (text: string) => parseTimeArg(text, NOW, '--since');

/** The local-time reading of a zone-less value, computed independently of the parser. */
function local(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): bigint {
  return BigInt(new Date(y, mo - 1, d, h, mi, s).getTime()) * 1_000_000n;
}

describe('parseTimeArg: durations count back from now', () => {
  it('takes Go durations', () => {
    assert.equal(parse('10m'), NOW - 600n * S);
    assert.equal(parse('1h30m'), NOW - 5400n * S);
    assert.equal(parse('1.5h'), NOW - 5400n * S);
    assert.equal(parse('2h45m10s'), NOW - (2n * 3600n + 45n * 60n + 10n) * S);
    assert.equal(parse('300ms'), NOW - 300_000_000n);
    assert.equal(parse('1us'), NOW - 1000n);
    assert.equal(parse('1µs'), NOW - 1000n);
    assert.equal(parse('7ns'), NOW - 7n);
    assert.equal(parse('.5s'), NOW - S / 2n);
    assert.equal(parse('-10m'), NOW + 600n * S, 'a negative duration is in the future');
  });

  it('parseDuration rejects what Go rejects', () => {
    for (const bad of ['', 'm', '10', '1h30', '10x', '1.h.', '.s', '+', '9999999999h']) assert.equal(parseDuration(bad), undefined, bad);
    assert.equal(parseDuration('1.h'), 3600n * S);
  });

  it('"0" is not a duration but Unix time 0', () => {
    assert.equal(parse('0'), 0n);
  });
});

describe('parseTimeArg: absolute times', () => {
  it('takes RFC3339 and RFC3339Nano with Z or an offset, to the nanosecond', () => {
    assert.equal(parse('2024-05-01T10:00:00Z'), NOW);
    assert.equal(parse('2024-05-01T10:00:00.000000001Z'), NOW + 1n);
    assert.equal(parse('2024-05-01T10:00:00.5Z'), NOW + S / 2n);
    assert.equal(parse('2024-05-01T12:00:00+02:00'), NOW);
    assert.equal(parse('2024-05-01T07:30:00.25-02:30'), NOW + S / 4n);
  });

  it('takes shorter forms with a zone', () => {
    assert.equal(parse('2024-05-01T10:00Z'), NOW);
    assert.equal(parse('2024-05-01T10Z'), NOW);
    assert.equal(parse('2024-05-01Z'), NOW - 10n * 3600n * S);
    assert.equal(parse('2024-05-02+14:00'), NOW, 'midnight at +14:00 is 10:00Z the day before');
  });

  it('reads zone-less forms in local time', () => {
    assert.equal(parse('2006-01-02T15:04:05'), local(2006, 1, 2, 15, 4, 5));
    assert.equal(parse('2006-01-02T15:04:05.123456789'), local(2006, 1, 2, 15, 4, 5) + 123_456_789n);
    assert.equal(parse('2006-01-02T15:04'), local(2006, 1, 2, 15, 4));
    assert.equal(parse('2006-01-02T15'), local(2006, 1, 2, 15));
    assert.equal(parse('2006-01-02'), local(2006, 1, 2));
  });

  it('takes Unix seconds with an optional fraction', () => {
    assert.equal(parse('1714557600'), NOW);
    assert.equal(parse('1714557600.5'), NOW + S / 2n);
    assert.equal(parse('1714557600.000000001'), NOW + 1n);
  });
});

describe('parseTimeArg: errors name the flag and the accepted forms', () => {
  it('rejects other text', () => {
    for (const bad of ['abc', '', '2024-05-01T', '2024-5-1', '10:00', '-5', '1714557600.', '2024-05-01 10:00:00', '2024-05-01T10:00:00.1234567891Z']) {
      assert.throws(() => parseTimeArg(bad, NOW, '--until'), (e: Error) => {
        assert.match(e.message, new RegExp(`^invalid value ${JSON.stringify(JSON.stringify(bad)).slice(1, -1)} for --until: `));
        assert.match(e.message, /duration like 10m/);
        assert.match(e.message, /RFC3339/);
        assert.match(e.message, /Unix seconds/);
        return true;
      }, bad);
    }
  });

  it('says which field is out of range', () => {
    assert.throws(() => parse('2024-02-30'), /invalid value "2024-02-30" for --since: day out of range/);
    assert.throws(() => parse('2024-13-01T00:00:00Z'), /month out of range/);
    assert.throws(() => parse('2024-05-01T24:00:00Z'), /hour out of range/);
    assert.throws(() => parse('2024-05-01T10:60Z'), /minute out of range/);
    assert.doesNotThrow(() => parse('2024-02-29'), 'a leap day');
  });
});
