import type { Collection, Document, Filter } from 'mongodb';
import { LogMessage } from '../../engine/logs/message';
import { LogReader, ReadOptions, ReadWarning } from '../../engine/logs/reader';
import { decodeDocument } from './decode';
import { mongo } from './load';
import { DEFAULT_COLLECTION, DEFAULT_DATABASE, DEFAULT_URI } from './options';
import { clientOptions, redactText, redactUri } from './uri';

/** Where `corral logs --from mongodb` reads, and whose lines (all workloads when no ref). */
export interface MongoSource {
  uri?: string;
  database?: string;
  collection?: string;
  /** A workload name, full id or unique id prefix. */
  workload?: string;
  /** Only documents of this host (their `host` field, the agent's --hostname): one host of a fleet. */
  host?: string;
}

const POLL_MS = 200;
const PAGE = 10_000;
const FIND = { useBigInt64: true, batchSize: 1_000 } as const;

/** Documents as the driver writes them: string _ids. */
type Stored = Document & { _id: string };

/** The newest _id read per workload: history ends there and following starts after it. */
type Marks = Map<string, string>;

/**
 * Reads what the mongodb driver stored, straight from MongoDB (no agent). Lines come in the order
 * they were sent: by _id for one workload (the driver numbers them), by time across workloads.
 * `follow` polls for _ids above the last one read, per workload, so none is missed or repeated.
 */
export class MongoLogReader implements LogReader {
  readonly uri: string;
  readonly database: string;
  readonly collection: string;

  constructor(private readonly src: MongoSource) {
    this.uri = src.uri || DEFAULT_URI;
    this.database = src.database || DEFAULT_DATABASE;
    this.collection = src.collection || DEFAULT_COLLECTION;
  }

  async *read(o: ReadOptions, signal: AbortSignal, onWarning?: (w: ReadWarning) => void): AsyncIterable<LogMessage> {
    const client = new (mongo().MongoClient)(this.uri, clientOptions(this.uri, { serverSelectionTimeoutMS: 3_000 }));
    const stop = () => void client.close().catch(() => {});
    signal.addEventListener('abort', stop, { once: true });
    try {
      const coll = client.db(this.database).collection<Stored>(this.collection);
      const only = this.src.workload ? await this.resolve(coll, this.src.workload) : undefined;
      const marks = only ? new Map([[only, await newestId(coll, only)]]) : await allMarks(coll, this.scope);
      // The host rides with the time filter: every query below ANDs it in.
      const times = { ...timeFilter(o), ...this.scope };
      const decode = (d: Document) => {
        const m = decodeDocument(d);
        if (!m) onWarning?.({ kind: 'corrupt', text: `skipped a document that is not a log line (_id ${JSON.stringify(d['_id'])})` });
        return m;
      };
      if (o.tail !== 0) {
        const history = { $and: [marksFilter(marks, '$lte', false), times] };
        for await (const d of historyOf(coll, history, !!only, o.tail)) { const m = decode(d); if (m) yield m; }
      }
      let failing = false;
      while (o.follow && !signal.aborted) {
        if (o.until !== undefined && nowNs() > o.until) break;
        let n = 0;
        try {
          const page = coll.find({ $and: [marksFilter(marks, '$gt', !only), times] }, FIND).sort(only ? { _id: 1 } : { time: 1, time_ns: 1, _id: 1 }).limit(only ? PAGE : 0);
          for await (const d of page) {
            n++;
            const id = String(d['_id']);
            const c = String(d['container_id']);
            if (!marks.has(c) || marks.get(c)! < id) marks.set(c, id);
            const m = decode(d);
            if (m) yield m;
          }
          failing = false;
        } catch (e) {
          // Following outlives a server restart: say so once, keep polling from the same marks.
          if (signal.aborted) return;
          if (!failing) onWarning?.({ kind: 'corrupt', text: `mongodb: ${redactText((e as Error).message, this.uri)}; still following` });
          failing = true;
        }
        if (n < PAGE) await sleep(POLL_MS, signal);
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof NotFound) throw e;
      throw new Error(`mongodb: reading ${this.database}.${this.collection} at ${redactUri(this.uri)}: ${redactText((e as Error).message, this.uri)}`);
    } finally {
      signal.removeEventListener('abort', stop);
      const closing = new AbortController();
      await Promise.race([client.close().catch(() => {}), sleep(2_000, closing.signal)]);
      closing.abort(); // the timer must not keep the CLI alive
    }
  }

  /** `{ host }` with --host, else no condition. */
  private get scope(): Filter<Stored> {
    return this.src.host !== undefined ? { host: this.src.host } : {};
  }

  /** Docker's lookup: full id, then name (its latest workload), then a unique id prefix; on the one host with --host. */
  private async resolve(coll: Collection<Stored>, ref: string): Promise<string> {
    if (/^[0-9a-f]{64}$/.test(ref)) return ref;
    const name = ref.replace(/^\//, '');
    const [latest] = await coll.find({ container_name: name, ...this.scope }, FIND).sort({ time: -1 }).limit(1).toArray();
    if (latest) return String(latest['container_id']);
    if (/^[0-9a-f]+$/.test(ref)) {
      const ids = await coll.distinct('container_id', { container_id: { $gte: ref, $lt: `${ref}g` }, ...this.scope });
      if (ids.length === 1) return String(ids[0]);
      if (ids.length > 1) throw new NotFound(`multiple IDs found with provided prefix: ${ref}`);
    }
    const where = this.src.host !== undefined ? ` from host ${this.src.host}` : '';
    throw new NotFound(`No such container: ${ref} (no workload with this name or id has logs${where} in ${this.database}.${this.collection})`);
  }
}

/** The workload is not in the collection: said as Docker says it, not as a read failure. */
class NotFound extends Error {}

/** One workload's _ids all start with its short id and '-' ('.' sorts just after). */
const idRange = (id: string) => ({ $gte: `${id.slice(0, 12)}-`, $lt: `${id.slice(0, 12)}.` });

async function newestId(coll: Collection<Stored>, id: string): Promise<string> {
  const [last] = await coll.find({ container_id: id, _id: idRange(id) }, FIND).sort({ _id: -1 }).limit(1).toArray();
  return last ? String(last['_id']) : idRange(id).$gte;
}

async function allMarks(coll: Collection<Stored>, scope: Filter<Stored>): Promise<Marks> {
  const marks: Marks = new Map();
  for (const id of await coll.distinct('container_id', scope)) marks.set(String(id), await newestId(coll, String(id)));
  return marks;
}

/** _ids up to (or after) each workload's mark; `others` adds workloads not seen yet. */
function marksFilter(marks: Marks, op: '$lte' | '$gt', others: boolean): Filter<Stored> {
  const per: Filter<Stored>[] = [...marks].map(([c, id]) => ({ container_id: c, _id: { ...idRange(c), [op]: id } }));
  if (others) per.push({ container_id: { $nin: [...marks.keys()] } });
  return per.length === 1 ? per[0]! : per.length ? { $or: per } : { _id: { $exists: false } };
}

/** --since/--until on the exact time, plus the Date so an index on `time` can serve it. */
function timeFilter(o: ReadOptions): Filter<Stored> {
  const f: Record<string, Record<string, unknown>> = {};
  if (o.since !== undefined) { f['time_ns'] = { $gte: o.since }; f['time'] = { $gte: new Date(Number(o.since / 1_000_000n)) }; }
  if (o.until !== undefined) {
    f['time_ns'] = { ...f['time_ns'], $lte: o.until };
    f['time'] = { ...f['time'], $lte: new Date(Number((o.until + 999_999n) / 1_000_000n)) };
  }
  return f;
}

/** The history in order; with a tail, the newest N read backwards and turned around. */
async function* historyOf(coll: Collection<Stored>, filter: Filter<Stored>, oneWorkload: boolean, tail: number | undefined): AsyncIterable<Document> {
  const order: Record<string, 1 | -1> = oneWorkload ? { _id: 1 } : { time: 1, time_ns: 1, _id: 1 };
  if (tail === undefined) { yield* coll.find(filter, FIND).sort(order); return; }
  const reversed = Object.fromEntries(Object.entries(order).map(([k, v]) => [k, -v as 1 | -1]));
  const newest = await coll.find(filter, FIND).sort(reversed).limit(tail).toArray();
  yield* newest.reverse();
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function openMongoReader(src: MongoSource): MongoLogReader {
  return new MongoLogReader(src);
}
