import type { Db, Document, MongoClient } from 'mongodb';
import { SendResult } from '../../engine/logs/driver';
import { commandChunks } from './chunks';
import { Describe, classifyInsertError, classifyInsertReply } from './classify';
import { LogDocument } from './document';
import type { MongoOptions } from './options';
import { mongo } from './load';
import { clientOptions, redactText, redactUri } from './uri';

/** Where one workload's documents go: its options with the templates expanded. */
export type Destination = Pick<MongoOptions, 'uri' | 'database' | 'collection' | 'cappedSize' | 'cappedMax' | 'ttlSeconds'>;

/**
 * One workload's connection to its collection. The client connects on the first insert (never
 * in create()), and the collection and its indexes are set up once before it. Inserts are
 * unordered `insert` commands cut under MongoDB's limits; replies and errors become SendResults.
 */
export class MongoWriter {
  private client: MongoClient | undefined;
  private connecting: Promise<void> | undefined;
  private ready = false;
  private closed = false;
  /** Errors say which server and collection (the agent adds the driver's name and the workload's). */
  private readonly describe: Describe;

  constructor(private readonly d: Destination, private readonly attrsBytes: number) {
    const where = `${redactUri(d.uri)} ${d.database}.${d.collection}`;
    this.describe = (text) => new Error(`MongoDB at ${where}: ${redactText(text, d.uri)}`);
  }

  async insert(docs: readonly LogDocument[]): Promise<SendResult> {
    if (this.closed) return { status: 'retry', error: this.describe('driver closed') };
    let client: MongoClient;
    let db: Db;
    try {
      client = await this.connected();
      db = client.db(this.d.database);
      if (!this.ready) await this.setUp(db);
    } catch (e) {
      return classifyInsertError(e, this.describe);
    }
    let failure: SendResult | undefined;
    for (const chunk of commandChunks(docs, this.attrsBytes)) {
      let r: SendResult;
      try {
        r = classifyInsertReply(await db.command(this.insertCommand(client, chunk)), this.describe, chunk.length);
      } catch (e) {
        if (e instanceof mongo().MongoTopologyClosedError) this.discardClient();
        r = classifyInsertError(e, this.describe);
      }
      if (r.status === 'retry') return r; // the whole batch again: what was stored comes back as duplicates
      if (r.status === 'fail') failure ??= r;
    }
    return failure ?? { status: 'ok' };
  }

  /**
   * The `insert` command insertMany would send (unordered), built here because the batch is
   * already cut under MongoDB's limits: the bulk API's own per-document sizing pass cost a third
   * of the CPU per line. The URI's write concern (w, j, wtimeoutMS) goes with it as insertMany's would.
   */
  private insertCommand(client: MongoClient, documents: LogDocument[]): Document {
    const cmd: Document = { insert: this.d.collection, documents, ordered: false };
    const wc = client.writeConcern;
    if (wc) {
      const concern: Document = {};
      if (wc.w !== undefined) concern['w'] = wc.w;
      if (wc.wtimeoutMS !== undefined) concern['wtimeout'] = wc.wtimeoutMS;
      if (wc.journal !== undefined) concern['j'] = wc.journal;
      if (Object.keys(concern).length) cmd['writeConcern'] = concern;
    }
    return cmd;
  }

  /** Ends the client within `ms` even when the server is gone (the driver's own close may wait on it). */
  async close(ms: number): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.close().catch(() => {}),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); }),
    ]);
    clearTimeout(timer);
  }

  /**
   * A connected client. A client whose first connect failed is closed for good
   * (the driver's topology stays closed), so it is dropped and the next send makes a new one;
   * once connected, the driver itself reconnects after the server goes and comes back.
   */
  private async connected(): Promise<MongoClient> {
    let client = this.client;
    if (!client) {
      client = this.client = new (mongo().MongoClient)(this.d.uri, clientOptions(this.d.uri));
      this.connecting = client.connect().then(() => undefined);
    }
    try {
      await this.connecting;
    } catch (e) {
      if (this.client === client) this.discardClient();
      throw e;
    }
    return client;
  }

  private discardClient(): void {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    void client?.close().catch(() => {});
  }

  /**
   * Capped collection (when asked) and the two indexes. A refusal by the server (the collection
   * exists uncapped, an index exists with other options, no privilege) does not stop logging:
   * what exists is kept. Network errors propagate, so the batch is retried with the set-up.
   */
  private async setUp(db: Db): Promise<void> {
    const serverRefusal = (e: unknown) => e instanceof mongo().MongoServerError;
    const coll = db.collection(this.d.collection);
    if (this.d.cappedSize !== null) {
      const opts = { capped: true, size: this.d.cappedSize, ...(this.d.cappedMax !== null ? { max: this.d.cappedMax } : {}) };
      await db.createCollection(this.d.collection, opts).catch((e) => { if (!serverRefusal(e)) throw e; }); // 48: it exists
    }
    const indexes = [
      { key: { container_id: 1, time: 1 }, name: 'container_id_1_time_1' },
      { key: { time: 1 }, name: 'time_1', ...(this.d.ttlSeconds !== null ? { expireAfterSeconds: this.d.ttlSeconds } : {}) },
    ] as const;
    for (const spec of indexes) {
      await coll.createIndexes([spec]).catch((e) => { if (!serverRefusal(e)) throw e; });
    }
    this.ready = true;
  }
}
