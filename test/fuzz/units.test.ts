import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHumanSize, ramInBytes } from '../../engine/units';
import { budget, hostileText } from './budget';

const POW = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 } as const;

describe('fuzz: sizes (10m, 1.5g)', () => {
  it('any text: a finite whole number of bytes >= 0, or undefined; never a throw', () => {
    fc.assert(fc.property(hostileText('0123456789.kmgtpKMGTPiBb -+e', 400), (text) => {
      for (const n of [fromHumanSize(text), ramInBytes(text)]) {
        if (n === undefined) continue;
        assert.ok(Number.isFinite(n) && Number.isInteger(n) && n >= 0, `${JSON.stringify(text)} gave ${n}`);
      }
    }), budget(12000));
  });

  it('hundreds of digits are not a size (Docker: strconv.ParseFloat out of range), not Infinity', () => {
    fc.assert(fc.property(fc.integer({ min: 310, max: 2000 }), fc.constantFrom('', 'k', 'm', 'g'), (digits, unit) => {
      assert.equal(ramInBytes('9'.repeat(digits) + unit), undefined);
      assert.equal(fromHumanSize('9'.repeat(digits) + unit), undefined);
    }), budget(200));
  });

  it('N[.F]<unit>[b|ib] is N.F x 1000^k (decimal) and x 1024^k (binary), in any case', () => {
    const unit = fc.constantFrom(...(Object.keys(POW) as (keyof typeof POW)[]));
    fc.assert(fc.property(fc.nat(100_000), fc.option(fc.nat(99)), unit, fc.constantFrom('', 'b', 'ib', 'B', 'iB'), fc.boolean(), (n, f, u, suffix, upper) => {
      const num = f === null ? `${n}` : `${n}.${f}`;
      const text = `${num}${upper ? u.toUpperCase() : u}${suffix}`;
      assert.equal(fromHumanSize(text), Math.floor(Number(num) * 1000 ** POW[u]), text);
      assert.equal(ramInBytes(text), Math.floor(Number(num) * 1024 ** POW[u]), text);
    }), budget(4000));
  });
});
