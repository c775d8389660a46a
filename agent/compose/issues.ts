import { z } from 'zod';
import { KeyPath, Problem } from './problems';
import { keysAt } from './schema';

type Issue = z.core.$ZodIssue;

/** zod's issues as problems that say, in plain words, what the key wants (lines are added later). */
export function schemaProblems(issues: readonly Issue[], base: KeyPath = []): Problem[] {
  return issues.flatMap((i) => problemsOf(i, base));
}

function problemsOf(i: Issue, base: KeyPath): Problem[] {
  const path = [...base, ...(i.path as (string | number)[])];
  switch (i.code) {
    case 'unrecognized_keys':
      return i.keys.map((k) => ({ path: [...path, k], message: unknownKey(k, keysAt(path)) }));
    case 'invalid_union': {
      // The branch that got past the value's own type is the form the user meant: report its
      // inner mistakes. Otherwise the value has none of the accepted types.
      if (i.input === undefined) return [{ path, message: 'is required' }];
      const meant = i.errors.find((b) => !b.some((x) => x.path.length === 0 && (x.code === 'invalid_type' || x.code === 'invalid_union')));
      if (meant) return schemaProblems(meant, path);
      return [{ path, message: `expected ${orList([...new Set(expected(i))])}, got ${describe(i.input)}` }];
    }
    case 'invalid_type':
      if (i.input === undefined) return [{ path, message: 'is required' }];
      return [{ path, message: `expected ${word(i.expected)}, got ${describe(i.input)}` }];
    case 'too_small':
      return [{ path, message: i.origin === 'number' ? `must be at least ${i.minimum}` : 'must not be empty' }];
    default:
      return [{ path, message: i.message }];
  }
}

/** The types a value could have had, through nested unions. */
function expected(i: Issue): string[] {
  if (i.code === 'invalid_type') return [word(i.expected)];
  if (i.code === 'invalid_union') return i.errors.flatMap((b) => b.filter((x) => x.path.length === 0).flatMap(expected));
  return [];
}

function word(expected: string): string {
  const words: Record<string, string> = {
    string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true/false',
    null: 'nothing', array: 'a list', object: 'a mapping', record: 'a mapping',
  };
  return words[expected] ?? expected;
}

function orList(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v);
}

/** `unknown key "comand" (did you mean "command"?)`, or the accepted keys when nothing is close. */
export function unknownKey(key: string, accepted: readonly string[]): string {
  const near = closest(key, accepted);
  if (near) return `unknown key "${key}" (did you mean "${near}"?)`;
  return accepted.length ? `unknown key "${key}" (accepted: ${accepted.join(', ')})` : `unknown key "${key}"`;
}

function closest(key: string, accepted: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/_/g, '-');
  const exact = accepted.find((a) => norm(a) === norm(key));
  if (exact) return exact;
  // An abbreviation: "opts" for "options", "mem" for "memory".
  const abbrev = key.length >= 3 ? accepted.find((a) => isSubsequence(norm(key), a)) : undefined;
  if (abbrev) return abbrev;
  let best: string | undefined;
  let bestDist = Math.max(1, Math.floor(key.length / 3));
  for (const a of accepted) {
    const d = distance(norm(key), a);
    if (d <= bestDist) { best = a; bestDist = d - 1; }
  }
  return best;
}

function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (const c of long) if (c === short[i]) i++;
  return i === short.length && short[0] === long[0];
}

/** Levenshtein distance (keys are short). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
