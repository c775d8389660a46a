/**
 * A MongoDB server in miniature, for tests and benches.
 *
 * Why: no MongoDB server can be installed on these machines (no Debian package, no network to
 * fetch one), yet the mongodb log driver must be tested with the official `mongodb` client over
 * real TCP, never against a mock of the client. So this speaks MongoDB's wire protocol, written
 * from the public specs (OP_MSG, OP_QUERY/OP_REPLY, the hello handshake, the CRUD and index
 * commands), with an in-memory store; BSON comes from the `bson` package the client itself uses.
 *
 * What it implements:
 * - framing: OP_MSG (2013) with section kind 0 (the command) and kind 1 (document sequences,
 *   e.g. `documents` of an insert), the checksum flag, moreToCome (no reply); the legacy OP_QUERY
 *   (2004) on `admin.$cmd` that drivers use for the first hello/isMaster, answered with OP_REPLY (1).
 *   Compression is never offered, so OP_COMPRESSED never comes.
 * - commands: hello/isMaster (a standalone mongod 7.0, wire version 21, sessions supported, no
 *   streaming monitoring), ping, buildInfo, endSessions, create (capped size/max), createIndexes
 *   (conflicts: 85; TTL on capped: 67), listIndexes, listCollections, insert (ordered and unordered,
 *   duplicate _id: 11000 write errors), find (filter, sort, skip, limit, batchSize, singleBatch),
 *   getMore, killCursors, distinct, drop. Anything else: CommandNotFound (59).
 * - queries: see mongodb-query.ts. Capped collections drop their oldest documents by size and max.
 *   TTL indexes are recorded, not enforced (documents never expire here).
 * - faults for tests: down()/up() stop listening and cut every connection, then listen again on the
 *   same port; cutNextInsert() stores (part of) the next insert and drops the connection before the
 *   reply, so the client retries a batch the server already holds (duplicate keys); store.refuse
 *   makes matching documents fail validation (121).
 * - benches: discardDocuments acknowledges and counts inserts without decoding or keeping them.
 */
import * as net from 'node:net';
import { BSON } from 'bson';
import { Doc } from './mongodb-query';
import { MongoStore } from './mongodb-store';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;
const DESERIALIZE = { useBigInt64: true, promoteBuffers: false } as const;
/** Benches: an insert's documents stay raw BSON (counted, never decoded). */
const DESERIALIZE_RAW = { ...DESERIALIZE, fieldsAsRaw: { documents: true } } as const;

export interface CommandSeen {
  op: 'OP_MSG' | 'OP_QUERY';
  name: string;
  db: string;
  /** The command as received; document sequences are merged in under their identifier. */
  body: Doc;
  /** Identifiers of the kind-1 sections the message carried. */
  sequences: string[];
}

interface Request { op: 'OP_MSG' | 'OP_QUERY'; requestId: number; flags: number; body: Doc; sequences: string[]; sizes: Map<string, number[]> }

export interface MongoPeerOptions {
  port?: number;
  /** Keep a log of every command (tests); off for benches. */
  recordCommands?: boolean;
  /** Benches: acknowledge and count inserted documents without keeping them. */
  discardDocuments?: boolean;
}

export class MongoPeer {
  readonly store = new MongoStore();
  readonly commands: CommandSeen[] = [];
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private connectionIds = 0;
  private cut: { keep: number } | undefined;
  private constructor(public port: number, private readonly opts: MongoPeerOptions) {}

  static async start(opts: MongoPeerOptions = {}): Promise<MongoPeer> {
    const peer = new MongoPeer(opts.port ?? 0, { recordCommands: true, ...opts });
    peer.store.discard = !!opts.discardDocuments;
    await peer.up();
    return peer;
  }

  get uri(): string { return `mongodb://127.0.0.1:${this.port}`; }

  /** Listens (again) on the same port. */
  async up(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and cuts every connection, like a crashed server. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> { return this.down(); }

  /** The next insert stores its first `keep` documents (all by default), then the connection drops unanswered. */
  cutNextInsert(keep = Infinity): void { this.cut = { keep }; }

  /** Documents inserted into one collection so far (stored or, for benches, only counted). */
  inserted(db: string, collection: string): number {
    return this.store.inserted.get(`${db}.${collection}`) ?? 0;
  }

  /** Stored documents of one collection, in insertion order. */
  documents(db: string, collection: string): Doc[] {
    return this.store.collection(db, collection)?.docs ?? [];
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = ++this.connectionIds;
    // Reads are kept as a list and joined once a whole message is there (no copy per read).
    let chunks: Buffer[] = [];
    let buffered = 0;
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      buffered += data.length;
      while (buffered >= 4) {
        if (chunks[0]!.length < 4) chunks = [Buffer.concat(chunks, buffered)];
        const length = chunks[0]!.readInt32LE(0);
        if (length < 16 || length > 64 << 20) { socket.destroy(); return; }
        if (buffered < length) break;
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
        chunks = length < buffered ? [all.subarray(length)] : [];
        buffered -= length;
        if (!this.handle(socket, all.subarray(0, length), connectionId)) return;
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Handles one message; false when the connection was cut. */
  private handle(socket: net.Socket, message: Buffer, connectionId: number): boolean {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    let req: Request;
    if (opCode === OP_MSG) req = parseOpMsg(message, requestId, this.store.discard);
    else if (opCode === OP_QUERY) req = parseOpQuery(message, requestId);
    else { socket.destroy(); return false; } // OP_COMPRESSED and the removed legacy opcodes: never negotiated
    const name = Object.keys(req.body)[0] ?? '';
    const db = String(req.body['$db'] ?? 'admin');
    if (this.opts.recordCommands) this.commands.push({ op: req.op, name, db, body: summarize(req.body), sequences: req.sequences });
    if (name === 'insert' && this.cut) {
      const keep = this.cut.keep;
      this.cut = undefined;
      const docs = (req.body['documents'] as Doc[]).slice(0, keep);
      this.store.insert(db, { ...req.body, ordered: false }, docs, this.sizesOf(db, req, docs.length));
      socket.destroy();
      this.sockets.delete(socket);
      return false;
    }
    const reply = this.run(name, db, req, connectionId);
    if (req.op === 'OP_QUERY') socket.write(opReply(reply, requestId));
    else if (!(req.flags & MORE_TO_COME)) socket.write(opMsg(reply, requestId));
    return true;
  }

  private run(name: string, db: string, req: Request, connectionId: number): Doc {
    const cmd = req.body;
    switch (name) {
      case 'hello': case 'isMaster': case 'ismaster': return hello(connectionId);
      case 'ping': case 'endSessions': return { ok: 1 };
      case 'buildInfo': case 'buildinfo': return { version: '7.0.0', versionArray: [7, 0, 0, 0], bits: 64, maxBsonObjectSize: 16 * 1024 * 1024, ok: 1 };
      case 'create': return this.store.create(db, cmd);
      case 'createIndexes': return this.store.createIndexes(db, cmd);
      case 'listIndexes': return this.store.listIndexes(db, cmd);
      case 'listCollections': return this.store.listCollections(db, cmd);
      case 'insert': {
        const docs = (cmd['documents'] ?? []) as Doc[];
        return this.store.insert(db, cmd, docs, this.sizesOf(db, req, docs.length));
      }
      case 'find': return this.store.find(db, cmd);
      case 'getMore': return this.store.getMore(db, cmd);
      case 'killCursors': return this.store.killCursors(cmd);
      case 'distinct': return this.store.distinct(db, cmd);
      case 'drop': return this.store.drop(db, cmd);
      default: return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' };
    }
  }

  /** BSON sizes of an insert's documents: capped collections are bounded by them. */
  private sizesOf(db: string, req: Request, n: number): number[] {
    const known = req.sizes.get('documents');
    if (known) return known;
    const capped = this.store.collection(db, String(req.body['insert']))?.options.capped;
    const docs = (req.body['documents'] ?? []) as Doc[];
    return Array.from({ length: n }, (_, i) => (capped ? BSON.calculateObjectSize(docs[i]!) : 0));
  }
}

function hello(connectionId: number): Doc {
  return {
    helloOk: true, ismaster: true, isWritablePrimary: true,
    maxBsonObjectSize: 16 * 1024 * 1024, maxMessageSizeBytes: 48_000_000, maxWriteBatchSize: 100_000,
    localTime: new Date(), logicalSessionTimeoutMinutes: 30, connectionId,
    minWireVersion: 0, maxWireVersion: 21, readOnly: false, ok: 1,
  };
}

/** The command for the log: large document arrays become their length. */
function summarize(body: Doc): Doc {
  return Array.isArray(body['documents']) ? { ...body, documents: (body['documents'] as Doc[]).length } : body;
}

function readCString(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
}

function parseOpMsg(message: Buffer, requestId: number, rawDocuments: boolean): Request {
  const flags = message.readUInt32LE(16);
  const end = message.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
  let body: Doc = {};
  const sequences: string[] = [];
  const sizes = new Map<string, number[]>();
  const sequenceDocs = new Map<string, Doc[]>();
  let at = 20;
  while (at < end) {
    const kind = message[at++];
    if (kind === 0) {
      const len = message.readInt32LE(at);
      body = BSON.deserialize(message.subarray(at, at + len), rawDocuments ? DESERIALIZE_RAW : DESERIALIZE) as Doc;
      at += len;
    } else if (kind === 1) {
      const size = message.readInt32LE(at);
      const sectionEnd = at + size;
      const [id, next] = readCString(message, at + 4);
      const docs: Doc[] = [];
      const lens: number[] = [];
      for (let p = next; p < sectionEnd;) {
        const len = message.readInt32LE(p);
        docs.push(BSON.deserialize(message.subarray(p, p + len), DESERIALIZE) as Doc);
        lens.push(len);
        p += len;
      }
      sequences.push(id);
      sequenceDocs.set(id, docs);
      sizes.set(id, lens);
      at = sectionEnd;
    } else {
      throw new Error(`OP_MSG section kind ${kind} is not defined`);
    }
  }
  for (const [id, docs] of sequenceDocs) body[id] = docs;
  return { op: 'OP_MSG', requestId, flags, body, sequences, sizes };
}

function parseOpQuery(message: Buffer, requestId: number): Request {
  const flags = message.readInt32LE(16);
  const [ns, at] = readCString(message, 20);
  const len = message.readInt32LE(at + 8);
  let body = BSON.deserialize(message.subarray(at + 8, at + 8 + len), DESERIALIZE) as Doc;
  if (body['$query']) body = body['$query'] as Doc; // the legacy wrapped form
  body['$db'] = ns.slice(0, ns.indexOf('.'));
  return { op: 'OP_QUERY', requestId, flags, body, sequences: [], sizes: new Map() };
}

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(0, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(reply: Doc, responseTo: number): Buffer {
  const doc = BSON.serialize(reply);
  const flagsAndKind = Buffer.from([0, 0, 0, 0, 0]);
  return Buffer.concat([header(16 + 5 + doc.length, responseTo, OP_MSG), flagsAndKind, doc]);
}

function opReply(reply: Doc, responseTo: number): Buffer {
  const doc = BSON.serialize(reply);
  const fixed = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
  fixed.writeInt32LE(1, 16);
  return Buffer.concat([header(16 + 20 + doc.length, responseTo, OP_REPLY), fixed, doc]);
}
