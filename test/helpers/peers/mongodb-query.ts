import { Binary, ObjectId } from 'bson';

/**
 * The part of MongoDB's query language the mongodb peer needs: field paths, equality,
 * $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or, and sorting, with MongoDB's rule that
 * comparisons only match values of the same type bracket (numbers with numbers, strings with strings...).
 */

export type Doc = Record<string, unknown>;

/** MongoDB's BSON comparison order between types. */
function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 1;
  if (typeof v === 'number' || typeof v === 'bigint') return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 5;
  if (v instanceof Binary || Buffer.isBuffer(v)) return 6;
  if (v instanceof ObjectId) return 7;
  if (typeof v === 'boolean') return 8;
  if (v instanceof Date) return 9;
  if (v instanceof RegExp) return 11;
  return 4; // embedded document
}

/** Negative, zero or positive, as MongoDB orders the two values. */
export function compare(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 2: return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0; // number and bigint mix
    case 3: return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string));
    case 6: return Buffer.compare(bytesOf(a), bytesOf(b));
    case 7: return Buffer.compare(Buffer.from((a as ObjectId).id), Buffer.from((b as ObjectId).id));
    case 8: return Number(a) - Number(b);
    case 9: return (a as Date).getTime() - (b as Date).getTime();
    case 5: {
      const x = a as unknown[], y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) { const c = compare(x[i], y[i]); if (c) return c; }
      return x.length - y.length;
    }
    case 4: {
      const x = Object.entries(a as Doc), y = Object.entries(b as Doc);
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compare(x[i]![1], y[i]![1]) || Buffer.compare(Buffer.from(x[i]![0]), Buffer.from(y[i]![0]));
        if (c) return c;
      }
      return x.length - y.length;
    }
    default: return 0;
  }
}

function bytesOf(v: unknown): Buffer {
  return v instanceof Binary ? Buffer.from(v.buffer) : (v as Buffer);
}

export function getPath(doc: Doc, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Doc)[part];
  }
  return cur;
}

const isOperatorObject = (v: unknown): v is Doc =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof ObjectId) && !(v instanceof Binary)
  && Object.keys(v as Doc).length > 0 && Object.keys(v as Doc).every((k) => k.startsWith('$'));

const sameBracket = (a: unknown, b: unknown) => a !== undefined && typeRank(a) === typeRank(b);

function matchOperators(value: unknown, ops: Doc): boolean {
  for (const [op, arg] of Object.entries(ops)) {
    switch (op) {
      case '$eq': if (!(value !== undefined && compare(value, arg) === 0) && !(arg === null && value === undefined)) return false; break;
      case '$ne': if (value !== undefined && compare(value, arg) === 0) return false; break;
      case '$gt': if (!(sameBracket(value, arg) && compare(value, arg) > 0)) return false; break;
      case '$gte': if (!(sameBracket(value, arg) && compare(value, arg) >= 0)) return false; break;
      case '$lt': if (!(sameBracket(value, arg) && compare(value, arg) < 0)) return false; break;
      case '$lte': if (!(sameBracket(value, arg) && compare(value, arg) <= 0)) return false; break;
      case '$in': if (!(arg as unknown[]).some((x) => value !== undefined && compare(value, x) === 0)) return false; break;
      case '$nin': if ((arg as unknown[]).some((x) => value !== undefined && compare(value, x) === 0)) return false; break;
      case '$exists': if ((value !== undefined) !== Boolean(arg)) return false; break;
      default: throw new QueryError(`unknown operator: ${op}`);
    }
  }
  return true;
}

export class QueryError extends Error {}

/** True when doc matches the filter. */
export function matches(doc: Doc, filter: Doc | undefined): boolean {
  if (!filter) return true;
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and') { if (!(cond as Doc[]).every((f) => matches(doc, f))) return false; continue; }
    if (key === '$or') { if (!(cond as Doc[]).some((f) => matches(doc, f))) return false; continue; }
    if (key.startsWith('$')) throw new QueryError(`unknown top level operator: ${key}`);
    const value = getPath(doc, key);
    if (isOperatorObject(cond)) { if (!matchOperators(value, cond)) return false; }
    else if (!(value !== undefined ? compare(value, cond) === 0 : cond === null)) return false;
  }
  return true;
}

/** Sorts by a MongoDB sort document ({a: 1, b: -1}); stable, so ties keep insertion order. */
export function sortDocs(docs: Doc[], sort: Doc | undefined): Doc[] {
  const keys = Object.entries(sort ?? {});
  if (!keys.length) return docs;
  return [...docs].sort((x, y) => {
    for (const [k, dir] of keys) {
      const c = compare(getPath(x, k), getPath(y, k));
      if (c) return Number(dir) < 0 ? -c : c;
    }
    return 0;
  });
}
