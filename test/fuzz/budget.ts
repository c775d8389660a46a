import * as assert from 'node:assert/strict';
import fc from 'fast-check';

/**
 * Shared budget of the fuzz suite: every property runs a bounded number of cases so the
 * whole of test/fuzz stays well under a minute on two cores. CORRAL_FUZZ_SCALE multiplies it
 * for a longer local hunt (e.g. CORRAL_FUZZ_SCALE=20).
 */
const SCALE = Math.max(1, Number(process.env.CORRAL_FUZZ_SCALE) || 1);

export function budget(numRuns: number): fc.Parameters<unknown> {
  return { numRuns: numRuns * SCALE };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs f on hostile input: it may return, or throw one of the documented error classes
 * (checked with `check`, e.g. that the message names the key). Anything else (a TypeError,
 * a RangeError from deep inside) is a crash and fails the property.
 */
export function onlyThrows<T>(f: () => T, classes: readonly ErrorClass[], check: (e: Error) => void = () => {}): T | Error {
  try {
    return f();
  } catch (e) {
    if (!classes.some((c) => e instanceof c)) {
      assert.fail(`crashed with ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack ?? ''}`);
    }
    check(e as Error);
    return e as Error;
  }
}

/** Text a user could type, biased towards the characters parsers care about. */
export function hostileText(alphabet: string, maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom(...alphabet.split('')), maxLength }),
  );
}
