import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDuration, parseTimeArg } from '../../engine/logs/timearg';
import { budget, hostileText, onlyThrows } from './budget';

const NOW = 1_714_557_600_000_000_000n;
const S = 1_000_000_000n;

describe('fuzz: --since / --until', () => {
  it('any text: a time, or an Error naming the flag and quoting the value', () => {
    fc.assert(fc.property(hostileText('0123456789.:-+TZhmsuµnμ ', 60), fc.constantFrom('--since', '--until', 'since'), (text, flag) => {
      const r = onlyThrows(() => parseTimeArg(text, NOW, flag), [Error], (e) => {
        assert.match(e.message, flag.startsWith('-') ? new RegExp(flag) : /--since/);
        assert.ok(e.message.includes(`"${text}"`), e.message);
      });
      if (typeof r === 'bigint') assert.equal(typeof r, 'bigint');
    }), budget(12000));
  });

  it('long runs of digits and units neither hang nor overflow silently', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('9', '0', '.', 'h', 'm', 's', 'n'), minLength: 100, maxLength: 3000 }), (text) => {
      const d = parseDuration(text);
      if (d !== undefined) assert.ok(d <= 2n ** 63n - 1n, 'a Go duration is an int64');
      onlyThrows(() => parseTimeArg(text, NOW, '--until'), [Error], (e) => assert.match(e.message, /--until/));
    }), budget(800));
  });

  it('Go durations built from components count back from now, exactly', () => {
    const component = fc.tuple(fc.nat(10_000), fc.constantFrom(['h', 3600n * S], ['m', 60n * S], ['s', S], ['ms', 1_000_000n], ['us', 1000n], ['ns', 1n]) as fc.Arbitrary<[string, bigint]>);
    fc.assert(fc.property(fc.array(component, { minLength: 1, maxLength: 6 }), fc.boolean(), (parts, neg) => {
      const text = (neg ? '-' : '') + parts.map(([n, [u]]) => `${n}${u}`).join('');
      const ns = parts.reduce((sum, [n, [, unit]]) => sum + BigInt(n) * unit, 0n);
      if (text === '0' || text === '-0') return; // "0" is Unix time 0, not a duration
      assert.equal(parseTimeArg(text, NOW, '--since'), NOW - (neg ? -ns : ns), text);
    }), budget(4000));
  });

  it('RFC3339 with Z, and Unix seconds, read back to the nanosecond', () => {
    fc.assert(fc.property(fc.bigInt(0n, 253_402_300_799n), fc.integer({ min: 0, max: 999_999_999 }), (sec, frac) => {
      const iso = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
      const want = sec * S + BigInt(frac);
      assert.equal(parseTimeArg(`${iso}.${String(frac).padStart(9, '0')}Z`, NOW, '--since'), want);
      assert.equal(parseTimeArg(`${sec}.${String(frac).padStart(9, '0')}`, NOW, '--since'), want);
    }), budget(4000));
  });
});
