import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseUintList } from '../../engine/cgroups/cpulist';
import { parseThrottleBps, parseThrottleIops, parseWeightDevice } from '../../engine/cgroups/devices';
import { parseNanoCpus } from '../../engine/cgroups/flagvalue';
import { HostInfo, LimitsError, NO_LIMITS, RESOURCE_FLAGS, ResourceFlag, mergeUpdate, parseLimits, parseUpdate } from '../../engine/cgroups/limits';
import { budget, hostileText, onlyThrows } from './budget';

const host: HostInfo = {
  ncpu: 2, cpus: '0-1', mems: '0', swapLimit: true,
  statDevice: (p) => {
    if (p === '/dev/vda') return { major: 254, minor: 0 };
    throw new Error(`stat ${p}: no such file or directory`);
  },
};

const FLAGS = Object.keys(RESOURCE_FLAGS) as ResourceFlag[];
const NUMERIC = '0123456789-+.,:/eEkmgbKMGB';

/** Values as they come from the CLI (text, lists, a bare boolean flag) or from a hand-made API request (any JSON). */
const flagValue = fc.oneof(
  hostileText(NUMERIC, 30),
  fc.stringMatching(/^(\/dev\/(vda|sdz)|\/x|)(:[0-9]{0,12}(kb|mb|gb|k|x)?)?$/),
  fc.array(fc.oneof(hostileText(NUMERIC, 20), fc.stringMatching(/^\/dev\/vda:[0-9]{1,25}(mb|gb)?$/)), { maxLength: 3 }),
  fc.boolean(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }),
);

const flagName = fc.oneof(fc.constantFrom<string>(...FLAGS, 'm', 'c'), fc.string({ maxLength: 12 }));

/** A refusal names the flag it is about: as LimitsError.flag, and in parse errors as --flag. */
function namesAFlag(given: readonly string[]) {
  return (e: Error) => {
    const err = e as LimitsError;
    const long = (k: string) => (k === 'm' ? 'memory' : k === 'c' ? 'cpu-shares' : k);
    assert.ok(given.map(long).includes(err.flag), `flag ${err.flag} is not one of ${given.join(', ')}: ${e.message}`);
    assert.ok(e.message.length > 0);
    if (e.message.startsWith('invalid argument')) assert.ok(e.message.includes(`--${err.flag}`), e.message);
  };
}

describe('fuzz: resource flags (run, create, update)', () => {
  it('parseLimits: Limits, or a LimitsError naming a given flag', () => {
    fc.assert(fc.property(fc.dictionary(flagName, flagValue, { maxKeys: 5 }), (flags) => {
      onlyThrows(() => parseLimits(flags as never, host), [LimitsError], namesAFlag(Object.keys(flags)));
    }), budget(12000));
  });

  it('parseUpdate + mergeUpdate: a refused update throws LimitsError and changes nothing', () => {
    fc.assert(fc.property(fc.dictionary(flagName, flagValue, { maxKeys: 4 }), (flags) => {
      const current = { ...NO_LIMITS, memory: 64 << 20, memorySwap: 128 << 20 };
      const before = JSON.stringify(current);
      // A conflict may name a flag already set rather than one given (memory against the stored swap).
      onlyThrows(() => mergeUpdate(current, parseUpdate(flags as never, host).changes), [LimitsError], (e) => {
        const flag = (e as LimitsError).flag;
        assert.ok(e.message.length > 0 && (FLAGS.includes(flag as ResourceFlag) || flag in flags), `${flag}: ${e.message}`);
      });
      assert.equal(JSON.stringify(current), before);
    }), budget(8000));
  });

  it('--cpus: any rational text; huge exponents are answered at once, not computed', () => {
    assert.throws(() => parseLimits({ cpus: '1e999999999' }, host), /range of CPUs is from 0.01 to 2.00/);
    assert.throws(() => parseLimits({ cpus: '1e-999999999' }, host), /too precise/);
    const exp = fc.oneof(fc.integer({ min: -30, max: 30 }), fc.integer({ min: -2e9, max: 2e9 }));
    fc.assert(fc.property(fc.stringMatching(/^[+-]?[0-9]{0,12}(\.[0-9]{0,12})?$/), exp, (mant, e) => {
      const n = onlyThrows(() => parseNanoCpus(`${mant}e${e}`), [LimitsError], (err) => assert.match(err.message, /--cpus/));
      if (typeof n === 'number') assert.ok(!Number.isNaN(n));
    }), budget(4000));
  });

  it('--cpus: N/D and decimals give whole nano-CPUs or "too precise"', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 64_000 }), fc.integer({ min: 1, max: 1000 }), (num, den) => {
      const r = onlyThrows(() => parseNanoCpus(`${num}/${den}`), [LimitsError], (e) => assert.match(e.message, /too precise/));
      if (typeof r === 'number') assert.equal(BigInt(r) * BigInt(den), BigInt(num) * 1_000_000_000n);
    }), budget(4000));
  });

  it('cpuset lists: the set the text names, or a refusal; bounded by the maximum', () => {
    const range = fc.tuple(fc.nat(70), fc.option(fc.nat(70)));
    fc.assert(fc.property(fc.array(range, { minLength: 1, maxLength: 5 }), (ranges) => {
      const text = ranges.map(([a, b]) => (b === null ? `${a}` : `${a}-${b}`)).join(',');
      const want = new Set<number>();
      let ok = true;
      for (const [a, b] of ranges) {
        if (b !== null && b < a) ok = false;
        for (let k = a; k <= (b ?? a); k++) want.add(k);
      }
      const got = onlyThrows(() => parseUintList(text, 64), [Error], (e) => assert.match(e.message, /invalid format|out range/));
      if (ok && Math.max(...ranges.map(([a, b]) => b ?? a)) <= 64) assert.deepEqual(got, want, text);
      else assert.ok(got instanceof Error, text);
    }), budget(4000));
    fc.assert(fc.property(hostileText('0123456789-,+ ', 30), (text) => {
      const got = onlyThrows(() => parseUintList(text, 8192), [Error]);
      if (got instanceof Set) assert.ok([...got].every((k) => Number.isInteger(k) && k >= 0 && k <= 8192), text);
    }), budget(8000));
  });

  it('device throttles: PATH:RATE, or a LimitsError naming the flag', () => {
    const spec = fc.oneof(hostileText('/dev:vda0123456789kmgb', 30), fc.stringMatching(/^\/dev\/[a-z]{0,4}:[0-9]{0,30}(kb|mb|gb|b|k|m|g)?$/));
    fc.assert(fc.property(spec, (text) => {
      const check = (flag: string) => (e: Error) => {
        assert.equal((e as LimitsError).flag, flag);
        assert.ok(e.message.includes(`--${flag}`) && e.message.includes(JSON.stringify(text)), e.message);
      };
      const bps = onlyThrows(() => parseThrottleBps('device-read-bps', text), [LimitsError], check('device-read-bps'));
      if (!(bps instanceof Error)) assert.ok(bps.path.startsWith('/dev/') && Number.isFinite(bps.rate) && bps.rate >= 0, text);
      const iops = onlyThrows(() => parseThrottleIops('device-write-iops', text), [LimitsError], check('device-write-iops'));
      if (!(iops instanceof Error)) assert.ok(Number.isInteger(iops.rate) && iops.rate >= 0, text);
      const w = onlyThrows(() => parseWeightDevice('blkio-weight-device', text), [LimitsError], check('blkio-weight-device'));
      if (!(w instanceof Error)) assert.ok(w.weight === 0 || (w.weight >= 10 && w.weight <= 1000), text);
    }), budget(8000));
  });
});
