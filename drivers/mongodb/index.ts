import * as os from 'node:os';
import { DriverContext, DriverDefinition, LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage } from '../../engine/logs/message';
import { extraAttributes } from '../shared/attrs';
import { DocumentBuilder, LogDocument } from './document';
import { mongo } from './load';
import { expandFor } from './names';
import { MongoOptions, parseMongoOptions } from './options';
import { clientOptions, redactText, redactUri } from './uri';
import { MongoWriter } from './writer';

/** How long close() waits for the client to end (a down server must not hold `stop`). */
const CLOSE_MS = 2_000;

/**
 * Docker-style log driver that stores one document per line in a MongoDB collection, built on
 * the official `mongodb` driver. The engine's outlet queues, batches and retries; this class
 * turns a batch into documents once and inserts them, as often as the outlet asks.
 */
export class MongoDriver implements LogDriver {
  readonly name = 'mongodb';
  /** The batch being delivered and its documents, so a retry sends the same _ids. */
  private pending: { batch: readonly LogMessage[]; docs: LogDocument[] } | undefined;

  constructor(private readonly builder: DocumentBuilder, private readonly writer: MongoWriter) {}

  async send(batch: readonly LogMessage[], signal: AbortSignal): Promise<SendResult> {
    if (this.pending?.batch !== batch) this.pending = { batch, docs: this.builder.build(batch) };
    const docs = this.pending.docs;
    if (signal.aborted) return { status: 'retry', error: new Error('send aborted') };
    const result = await untilAborted(this.writer.insert(docs), signal);
    if (result.status !== 'retry') this.pending = undefined;
    return result;
  }

  close(): Promise<void> {
    return this.writer.close(CLOSE_MS);
  }
}

/** The insert's result, or a 'retry' as soon as the signal aborts (the insert may finish on its own). */
function untilAborted(op: Promise<SendResult>, signal: AbortSignal): Promise<SendResult> {
  return new Promise((resolve) => {
    const onAbort = () => resolve({ status: 'retry', error: new Error('send aborted') });
    signal.addEventListener('abort', onAbort, { once: true });
    op.then(resolve, (e: Error) => resolve({ status: 'retry', error: e })).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function openMongoDriver(o: MongoOptions, ctx: DriverContext, startedNs = BigInt(Date.now()) * 1_000_000n): MongoDriver {
  const attrs = extraAttributes(o.attrs, ctx);
  const tag = expandFor('tag', o.attrs['tag'] ?? '{{.ID}}', ctx);
  const builder = new DocumentBuilder({ containerId: ctx.id, containerName: ctx.name, tag, host: ctx.hostname ?? os.hostname(), attrs }, startedNs);
  const destination = {
    uri: o.uri,
    database: expandFor('mongodb-database', o.database, ctx),
    collection: expandFor('mongodb-collection', o.collection, ctx),
    cappedSize: o.cappedSize,
    cappedMax: o.cappedMax,
    ttlSeconds: o.ttlSeconds,
  };
  const attrsBytes = Object.keys(attrs).length ? mongo().BSON.calculateObjectSize(attrs) : 0;
  return new MongoDriver(builder, new MongoWriter(destination, attrsBytes));
}

/** Connects with its own short-lived client and pings the database. */
async function probe(o: MongoOptions, ctx: DriverContext, timeoutMs: number): Promise<void> {
  const client = new (mongo().MongoClient)(o.uri, clientOptions(o.uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs }));
  try {
    await client.db(expandFor('mongodb-database', o.database, ctx)).command({ ping: 1 });
  } catch (e) {
    throw new Error(`cannot reach ${redactUri(o.uri)}: ${redactText((e as Error).message, o.uri)}`);
  } finally {
    await Promise.race([client.close().catch(() => {}), new Promise((r) => setTimeout(r, CLOSE_MS).unref())]);
  }
}

export const mongodb: DriverDefinition<MongoOptions> = {
  name: 'mongodb',
  parseOptions: parseMongoOptions,
  // One insert per batch while the previous one is in flight; cut again under 16 MiB per command.
  batch: { maxEvents: 50_000, maxBytes: 8 << 20, flushMs: 0 },
  create: async (o, ctx) => openMongoDriver(o, ctx),
  probe,
};
