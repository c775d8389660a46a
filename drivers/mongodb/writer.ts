import type { Collection, MongoClient } from 'mongodb';
import { SendResult } from '../../engine/logs/driver';
import { commandChunks } from './chunks';
import { classifyInsertError } from './classify';
import { LogDocument } from './document';
import { mongo } from './load';
import { clientOptions } from './uri';

export interface Destination {
  uri: string;
  database: string;
  collection: string;
  cappedSize: number | null;
  cappedMax: number | null;
  ttlSeconds: number | null;
}

/** Server-side refusals that leave the collection usable: setup goes on without them. */
const NAMESPACE_EXISTS = 48;

/**
 * One workload's connection to its collection. The client connects on the first insert (never
 * in create()), and the collection and its indexes are set up once before it. Inserts are
 * unordered and cut under MongoDB's command limits; errors become SendResults.
 */
export class MongoWriter {
  private client: MongoClient | undefined;
  private connecting: Promise<void> | undefined;
  private ready = false;
  private closed = false;

  constructor(private readonly d: Destination, private readonly attrsBytes: number) {}

  async insert(docs: readonly LogDocument[]): Promise<SendResult> {
    if (this.closed) return { status: 'retry', error: new Error('mongodb: driver closed') };
    let coll: Collection<LogDocument>;
    try {
      const client = await this.connected();
      coll = client.db(this.d.database).collection<LogDocument>(this.d.collection);
      if (!this.ready) await this.setUp(client, coll);
    } catch (e) {
      return classifyInsertError(e, this.d.uri, docs.length);
    }
    let failure: SendResult | undefined;
    for (const chunk of commandChunks(docs, this.attrsBytes)) {
      try {
        await coll.insertMany(chunk, { ordered: false });
      } catch (e) {
        if (e instanceof mongo().MongoTopologyClosedError) this.discardClient();
        const r = classifyInsertError(e, this.d.uri, chunk.length);
        if (r.status === 'retry') return r; // the whole batch again: what was stored comes back as duplicates
        if (r.status === 'fail') failure ??= r;
      }
    }
    return failure ?? { status: 'ok' };
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
  private async setUp(client: MongoClient, coll: Collection<LogDocument>): Promise<void> {
    const serverRefusal = (e: unknown) => e instanceof mongo().MongoServerError;
    if (this.d.cappedSize !== null) {
      const db = client.db(this.d.database);
      const opts = { capped: true, size: this.d.cappedSize, ...(this.d.cappedMax !== null ? { max: this.d.cappedMax } : {}) };
      await db.createCollection(this.d.collection, opts).catch((e) => {
        if (!serverRefusal(e) && (e as { code?: number }).code !== NAMESPACE_EXISTS) throw e;
      });
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
