import { BSON, ObjectId } from 'bson';
import { Doc, QueryError, compare, matches, sortDocs } from './mongodb-query';

/**
 * The mongodb peer's databases in memory, and the commands that work on them. Each command
 * returns the reply document MongoDB would send ({ok: 1, ...} or {ok: 0, errmsg, code, codeName}).
 */

export interface IndexSpec { v: number; key: Doc; name: string; expireAfterSeconds?: number; unique?: boolean }
export interface CollectionOptions { capped?: boolean; size?: number; max?: number }

export class StoredCollection {
  /** Documents in insertion order (a capped collection drops from the front). */
  docs: Doc[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;
  private readonly ids = new Map<string, Doc>();
  readonly indexes: IndexSpec[] = [{ v: 2, key: { _id: 1 }, name: '_id_' }];
  constructor(readonly name: string, readonly options: CollectionOptions = {}) {}

  has(id: unknown): boolean { return this.ids.has(idKey(id)); }

  /** Stores one document; false when its _id is taken. */
  insert(doc: Doc, size: number): boolean {
    const key = idKey(doc['_id']);
    if (this.ids.has(key)) return false;
    this.ids.set(key, doc);
    this.docs.push(doc);
    this.sizes.push(size);
    this.bytes += size;
    if (this.options.capped) this.evict();
    return true;
  }

  private evict(): void {
    const { size = Infinity, max = Infinity } = this.options;
    let drop = 0;
    let bytes = this.bytes;
    while (drop < this.docs.length - 1 && (bytes > size || this.docs.length - drop > max)) bytes -= this.sizes[drop++]!;
    if (!drop) return;
    for (const d of this.docs.splice(0, drop)) this.ids.delete(idKey(d['_id']));
    this.sizes.splice(0, drop);
    this.bytes = bytes;
  }
}

function idKey(id: unknown): string {
  if (typeof id === 'string') return `s${id}`;
  if (id instanceof ObjectId) return `o${id.toHexString()}`;
  return `j${BSON.EJSON.stringify({ id }, { relaxed: false })}`;
}

const error = (code: number, codeName: string, errmsg: string): Doc => ({ ok: 0, errmsg, code, codeName });

interface OpenCursor { ns: string; rest: Doc[] }

export class MongoStore {
  readonly databases = new Map<string, Map<string, StoredCollection>>();
  /** Documents matching this filter are refused like a failed schema validation (code 121). */
  refuse: Doc | undefined;
  /** Benches: inserts are acknowledged and counted, nothing is kept (no duplicate checks either). */
  discard = false;
  /** Documents inserted per `db.collection`, kept or not. */
  readonly inserted = new Map<string, number>();
  private readonly cursors = new Map<bigint, OpenCursor>();
  private nextCursor = 1000n;

  collection(db: string, name: string): StoredCollection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** Creates the collection when missing (inserts and createIndexes do, as MongoDB). */
  ensure(db: string, name: string, options: CollectionOptions = {}): StoredCollection {
    let colls = this.databases.get(db);
    if (!colls) this.databases.set(db, (colls = new Map()));
    let c = colls.get(name);
    if (!c) colls.set(name, (c = new StoredCollection(name, options)));
    return c;
  }

  create(db: string, cmd: Doc): Doc {
    const name = String(cmd['create']);
    if (this.collection(db, name)) return error(48, 'NamespaceExists', `Collection ${db}.${name} already exists.`);
    if (cmd['capped'] && !(Number(cmd['size']) > 0)) return error(72, 'InvalidOptions', 'the \'size\' field is required when \'capped\' is true');
    const options: CollectionOptions = cmd['capped'] ? { capped: true, size: Math.max(4096, Number(cmd['size'])), ...(cmd['max'] ? { max: Number(cmd['max']) } : {}) } : {};
    this.ensure(db, name, options);
    return { ok: 1 };
  }

  createIndexes(db: string, cmd: Doc): Doc {
    const existed = !!this.collection(db, String(cmd['createIndexes']));
    const c = this.ensure(db, String(cmd['createIndexes']));
    const before = c.indexes.length;
    for (const spec of cmd['indexes'] as Doc[]) {
      const wanted: IndexSpec = { v: 2, key: spec['key'] as Doc, name: String(spec['name']) };
      if (spec['expireAfterSeconds'] !== undefined) wanted.expireAfterSeconds = Number(spec['expireAfterSeconds']);
      if (spec['unique']) wanted.unique = true;
      if (wanted.expireAfterSeconds !== undefined && c.options.capped) {
        return error(67, 'CannotCreateIndex', 'TTL indexes are not supported for capped collections');
      }
      const same = c.indexes.find((i) => i.name === wanted.name || compare(i.key, wanted.key) === 0);
      if (!same) { c.indexes.push(wanted); continue; }
      if (same.name !== wanted.name || compare(same.key, wanted.key) !== 0 || same.expireAfterSeconds !== wanted.expireAfterSeconds || !!same.unique !== !!wanted.unique) {
        return error(85, 'IndexOptionsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${BSON.EJSON.stringify(wanted)}, existing index: ${BSON.EJSON.stringify(same)}`);
      }
    }
    const reply: Doc = { numIndexesBefore: before, numIndexesAfter: c.indexes.length, createdCollectionAutomatically: !existed, ok: 1 };
    if (before === c.indexes.length) reply['note'] = 'all indexes already exist';
    return reply;
  }

  /** Inserts every document it can (ordered stops at the first refusal), as MongoDB answers. */
  insert(db: string, cmd: Doc, docs: Doc[], sizes: number[]): Doc {
    const name = String(cmd['insert']);
    const c = this.ensure(db, name);
    const ordered = cmd['ordered'] !== false;
    const ns = `${db}.${name}`;
    if (this.discard) {
      this.inserted.set(ns, (this.inserted.get(ns) ?? 0) + docs.length);
      return { n: docs.length, ok: 1 };
    }
    const writeErrors: Doc[] = [];
    let n = 0;
    for (let i = 0; i < docs.length; i++) {
      const d = docs[i]!;
      if (d['_id'] === undefined) docs[i] = { _id: new ObjectId(), ...d };
      if (this.refuse && matches(d, this.refuse)) {
        writeErrors.push({ index: i, code: 121, errmsg: 'Document failed validation' });
        if (ordered) break;
        continue;
      }
      if (c.insert(docs[i]!, sizes[i]!)) { n++; continue; }
      writeErrors.push({ index: i, code: 11000, errmsg: `E11000 duplicate key error collection: ${db}.${name} index: _id_ dup key: { _id: ${JSON.stringify(d['_id'])} }` });
      if (ordered) break;
    }
    this.inserted.set(ns, (this.inserted.get(ns) ?? 0) + n);
    return writeErrors.length ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
  }

  find(db: string, cmd: Doc): Doc {
    const name = String(cmd['find']);
    const c = this.collection(db, name);
    let docs: Doc[];
    try {
      docs = (c?.docs ?? []).filter((d) => matches(d, cmd['filter'] as Doc | undefined));
    } catch (e) {
      if (e instanceof QueryError) return error(2, 'BadValue', e.message);
      throw e;
    }
    const sort = cmd['sort'] as Doc | undefined;
    if (sort && '$natural' in sort) { if (Number(sort['$natural']) < 0) docs.reverse(); }
    else docs = sortDocs(docs, sort);
    if (cmd['skip']) docs = docs.slice(Number(cmd['skip']));
    const limit = Math.abs(Number(cmd['limit'] ?? 0));
    if (limit) docs = docs.slice(0, limit);
    const batchSize = cmd['batchSize'] !== undefined ? Number(cmd['batchSize']) : 101;
    const single = cmd['singleBatch'] === true || Number(cmd['limit'] ?? 0) < 0;
    return this.openCursor(`${db}.${name}`, docs, single ? docs.length : batchSize, 'firstBatch');
  }

  getMore(db: string, cmd: Doc): Doc {
    const id = BigInt(cmd['getMore'] as bigint);
    const cur = this.cursors.get(id);
    if (!cur) return error(43, 'CursorNotFound', `cursor id ${id} not found`);
    const n = cmd['batchSize'] !== undefined ? Number(cmd['batchSize']) : cur.rest.length;
    const batch = cur.rest.splice(0, n || cur.rest.length);
    if (!cur.rest.length) this.cursors.delete(id);
    return { cursor: { nextBatch: batch, id: cur.rest.length ? id : 0n, ns: cur.ns }, ok: 1 };
  }

  killCursors(cmd: Doc): Doc {
    const ids = (cmd['cursors'] as bigint[]).map((x) => BigInt(x));
    const killed = ids.filter((id) => this.cursors.delete(id));
    return { cursorsKilled: killed, cursorsNotFound: ids.filter((id) => !killed.includes(id)), cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  distinct(db: string, cmd: Doc): Doc {
    const c = this.collection(db, String(cmd['distinct']));
    const values: unknown[] = [];
    for (const d of c?.docs ?? []) {
      if (!matches(d, cmd['query'] as Doc | undefined)) continue;
      const v = d[String(cmd['key'])];
      if (v !== undefined && !values.some((x) => compare(x, v) === 0)) values.push(v);
    }
    return { values, ok: 1 };
  }

  listIndexes(db: string, cmd: Doc): Doc {
    const name = String(cmd['listIndexes']);
    const c = this.collection(db, name);
    if (!c) return error(26, 'NamespaceNotFound', `ns does not exist: ${db}.${name}`);
    return this.openCursor(`${db}.${name}`, c.indexes.map((i) => ({ ...i })), 101, 'firstBatch');
  }

  listCollections(db: string, cmd: Doc): Doc {
    const all = [...(this.databases.get(db)?.values() ?? [])].map((c) => ({ name: c.name, type: 'collection', options: { ...c.options }, info: { readOnly: false } }));
    const docs = all.filter((d) => matches(d, cmd['filter'] as Doc | undefined));
    return this.openCursor(`${db}.$cmd.listCollections`, cmd['nameOnly'] ? docs.map((d) => ({ name: d.name, type: d.type })) : docs, 101, 'firstBatch');
  }

  drop(db: string, cmd: Doc): Doc {
    const name = String(cmd['drop']);
    if (!this.databases.get(db)?.delete(name)) return error(26, 'NamespaceNotFound', 'ns not found');
    return { ns: `${db}.${name}`, nIndexesWas: 2, ok: 1 };
  }

  private openCursor(ns: string, docs: Doc[], batchSize: number, field: 'firstBatch'): Doc {
    const first = docs.slice(0, batchSize || docs.length);
    const rest = docs.slice(first.length);
    let id = 0n;
    if (rest.length) { id = this.nextCursor++; this.cursors.set(id, { ns, rest }); }
    return { cursor: { [field]: first, id, ns }, ok: 1 };
  }
}
