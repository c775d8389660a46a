import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import { BSON, Binary, Long } from 'bson';
import { MongoClient } from 'mongodb';
import { DriverContext, OptionError } from '../../engine/logs/driver';
import { LogMessage, message } from '../../engine/logs/message';
import { mongodb, openMongoDriver } from '../../drivers/mongodb';
import { MAX_COMMAND_DOCS, commandChunks } from '../../drivers/mongodb/chunks';
import { classifyInsertReply } from '../../drivers/mongodb/classify';
import { LogDocument } from '../../drivers/mongodb/document';
import { parseMongoOptions, parseTtl } from '../../drivers/mongodb/options';
import { openMongoReader } from '../../drivers/mongodb/reader';
import { redactLogOptions, redactText, redactUri } from '../../drivers/mongodb/uri';
import { MongoPeer } from '../helpers/peers/mongodb';

/** The mongodb driver with the official client over TCP against the wire-protocol peer. */

const ID = 'ab12cd34ef56'.padEnd(64, '7');
const T0 = 1_700_000_000_123_456_789n;
const ctx = (over: Partial<DriverContext> = {}): DriverContext => ({
  id: ID, name: 'web', logDir: '/nonexistent', labels: { team: 'core', tier: 'front' }, env: ['REGION=eu', 'SECRET=x'],
  created: T0, pid: () => 1, ...over,
});
const never = new AbortController().signal;
const opts = (peer: MongoPeer, extra: Record<string, string> = {}) => parseMongoOptions({ 'mongodb-uri': peer.uri, ...extra });

describe('mongodb options', () => {
  test('defaults and every key', () => {
    const o = parseMongoOptions({});
    assert.deepEqual(o, { uri: 'mongodb://127.0.0.1:27017', database: 'corral', collection: 'logs', cappedSize: null, cappedMax: null, ttlSeconds: null, attrs: {} });
    const all = parseMongoOptions({
      'mongodb-uri': 'mongodb://u:p@db1:27017,db2/admin?replicaSet=rs0', 'mongodb-database': 'ops', 'mongodb-collection': 'logs_{{.Name}}',
      'mongodb-capped-size': '1m', 'mongodb-capped-max': '5000', tag: '{{.Name}}/{{.ID}}', labels: 'team', env: 'REGION', 'labels-regex': '^t', 'env-regex': '^R',
    });
    assert.equal(all.cappedSize, 1 << 20);
    assert.equal(all.cappedMax, 5000);
    assert.equal(all.collection, 'logs_{{.Name}}');
    assert.deepEqual(all.attrs, { labels: 'team', 'labels-regex': '^t', env: 'REGION', 'env-regex': '^R', tag: '{{.Name}}/{{.ID}}' });
    assert.equal(parseMongoOptions({ 'mongodb-ttl': '7d' }).ttlSeconds, 7 * 86400);
    assert.equal(parseTtl('24h'), 86400);
    assert.equal(parseTtl('1d12h'), 129600);
    assert.equal(parseTtl('90m'), 5400);
    assert.equal(parseTtl('3600'), 3600);
    assert.equal(parseTtl('soon'), undefined);
  });

  test('an unknown key and bad values name the key; a password never shows', () => {
    const bad = (o: Record<string, string>, re: RegExp) => assert.throws(() => parseMongoOptions(o), (e: Error) => e instanceof OptionError && re.test(e.message) && !e.message.includes('hunter2'));
    bad({ 'mongodb-url': 'x' }, /^unknown log opt 'mongodb-url' for mongodb log driver$/);
    bad({ 'mongodb-uri': 'http://admin:hunter2@db:27017' }, /log opt mongodb-uri: expected mongodb:\/\/.*mongodb\+srv/);
    bad({ 'mongodb-uri': 'http://admin:hunter2@db:27017' }, /"http:\/\/<credentials>@db:27017"/);
    bad({ 'mongodb-uri': 'mongodb://admin:hunter2@db:27017/?notAnOption=1&w=banana' }, /log opt mongodb-uri/);
    bad({ 'mongodb-uri': 'mongodb+srv://admin:hunter2@db:27017' }, /<credentials>.*log opt mongodb-uri: mongodb\+srv URI cannot have port number/);
    bad({ 'mongodb-capped-size': 'lots' }, /log opt mongodb-capped-size: expected a size/);
    bad({ 'mongodb-capped-size': '100' }, /mongodb-capped-size: expected a size of at least 4k/);
    bad({ 'mongodb-capped-max': '10' }, /mongodb-capped-max needs mongodb-capped-size/);
    bad({ 'mongodb-capped-size': '1m', 'mongodb-capped-max': '-1' }, /log opt mongodb-capped-max: expected a whole number/);
    bad({ 'mongodb-ttl': 'forever' }, /log opt mongodb-ttl: expected a duration/);
    bad({ 'mongodb-ttl': '0s' }, /log opt mongodb-ttl/);
    bad({ 'mongodb-ttl': '7d', 'mongodb-capped-size': '1m' }, /mongodb-ttl cannot be used with mongodb-capped-size/);
    bad({ 'mongodb-collection': 'logs_{{.Image}}' }, /log opt mongodb-collection: templates may use/);
    bad({ 'mongodb-collection': 'a$b' }, /log opt mongodb-collection: a collection name cannot contain \$/);
    bad({ 'mongodb-collection': 'system.x' }, /log opt mongodb-collection: .*reserved/);
    bad({ 'mongodb-database': 'my.db' }, /log opt mongodb-database: a database name cannot contain/);
    bad({ tag: '{{.Nope}}' }, /log opt tag/);
    bad({ 'labels-regex': '(' }, /log opt labels-regex/);
  });

  test('redaction covers user:password, secret query options and raw or decoded passwords in any text', () => {
    assert.equal(redactUri('mongodb://app:s%40cret@h1:1,h2:2/db?tls=true'), 'mongodb://<credentials>@h1:1,h2:2/db?tls=true');
    assert.equal(redactUri('mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN:abc,X:y&proxyPassword=pp'), 'mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN:<credentials>,X:y&proxyPassword=<credentials>');
    assert.equal(redactUri('mongodb://h:27017'), 'mongodb://h:27017');
    const uri = 'mongodb://app:s%40cret@h1:1';
    assert.equal(redactText(`failed for ${uri}; password s@cret or s%40cret`, uri), 'failed for mongodb://<credentials>@h1:1; password <credentials> or <credentials>');
    assert.deepEqual(redactLogOptions({ 'mongodb-uri': uri, 'mongodb:mongodb-uri': uri, tag: 'x' }),
      { 'mongodb-uri': 'mongodb://<credentials>@h1:1', 'mongodb:mongodb-uri': 'mongodb://<credentials>@h1:1', tag: 'x' });
  });
});

describe('mongodb driver against the wire-protocol peer', () => {
  let peer: MongoPeer;
  let client: MongoClient;
  before(async () => {
    peer = await MongoPeer.start();
    client = new MongoClient(peer.uri, { serverSelectionTimeoutMS: 5_000 });
  });
  after(async () => {
    await client.close();
    await peer.close();
  });

  const lines = (n: number, prefix: string, stream: 'stdout' | 'stderr' = 'stdout', t = T0): LogMessage[] =>
    Array.from({ length: n }, (_, i) => message(stream, t + BigInt(i), Buffer.from(`${prefix} ${i}`)));

  test('stores one document per line with every field, in unordered inserts, and creates both indexes', async () => {
    const d = openMongoDriver(opts(peer, { 'mongodb-database': 'fields', labels: 'team', env: 'REGION' }), ctx(), 0x1234n);
    const batch = [
      message('stdout', T0, Buffer.from('hello "world"')),
      message('stderr', T0 + 1n, Buffer.from('oops')),
      message('stdout', T0 + 2n, Buffer.from([0x61, 0xff, 0x62])),
      message('stdout', T0 + 3n, Buffer.from('chunk-1'), { id: 'p'.repeat(64), ordinal: 1, last: false }),
      message('stdout', T0 + 3n, Buffer.from('chunk-2'), { id: 'p'.repeat(64), ordinal: 2, last: true }),
    ];
    assert.deepEqual(await d.send(batch, never), { status: 'ok' });
    await d.close();
    const docs = peer.documents('fields', 'logs');
    const common = { container_id: ID, container_name: 'web', tag: ID.slice(0, 12), host: os.hostname(), attrs: { team: 'core', REGION: 'eu' } };
    const id = (n: number) => `ab12cd34ef56-0000000000001234-${n.toString(16).padStart(10, '0')}`;
    const date = new Date(Number(T0 / 1_000_000n));
    assert.deepEqual(docs[0], { _id: id(0), time: date, time_ns: T0, log: 'hello "world"', source: 'stdout', ...common });
    assert.deepEqual(docs[1], { _id: id(1), time: date, time_ns: T0 + 1n, log: 'oops', source: 'stderr', ...common });
    const raw = docs[2]!;
    assert.equal(raw['log'], 'a\ufffdb');
    assert.deepEqual(Buffer.from((raw['log_raw'] as Binary).buffer), Buffer.from([0x61, 0xff, 0x62]), 'bytes that are not UTF-8 are kept exactly');
    assert.deepEqual(docs[3], { _id: id(3), time: date, time_ns: T0 + 3n, log: 'chunk-1', source: 'stdout', ...common,
      partial_message: true, partial_id: 'p'.repeat(64), partial_ordinal: 1, partial_last: false });
    assert.equal(docs[4]!['partial_last'], true);
    assert.equal(docs.length, 5);
    const inserts = peer.commands.filter((c) => c.name === 'insert' && c.db === 'fields');
    assert.equal(inserts.length, 1);
    assert.equal(inserts[0]!.body['ordered'], false);
    assert.equal(inserts[0]!.body['documents'], 5);
    const indexes = await client.db('fields').collection('logs').indexes();
    assert.deepEqual(indexes.map((i) => [i.name, i.key, i.expireAfterSeconds]), [
      ['_id_', { _id: 1 }, undefined], ['container_id_1_time_1', { container_id: 1, time: 1 }, undefined], ['time_1', { time: 1 }, undefined],
    ]);
  });

  test('tag and collection templates expand per workload; capped size/max create a capped collection', async () => {
    const o = opts(peer, { 'mongodb-database': 'capped', 'mongodb-collection': 'logs_{{.Name}}', tag: '{{.Name}}/{{.ID}}', 'mongodb-capped-size': '8k', 'mongodb-capped-max': '20' });
    const d = openMongoDriver(o, ctx({ name: 'api' }));
    assert.equal((await d.send(lines(50, 'capped'), never)).status, 'ok');
    await d.close();
    const create = peer.commands.find((c) => c.name === 'create' && c.db === 'capped')!;
    assert.deepEqual({ ...create.body, lsid: undefined, $db: undefined }, { create: 'logs_api', capped: true, size: 8192, max: 20, lsid: undefined, $db: undefined });
    const colls = await client.db('capped').listCollections().toArray();
    assert.deepEqual(colls.map((c) => [c.name, (c as { options?: unknown }).options]), [['logs_api', { capped: true, size: 8192, max: 20 }]]);
    const docs = peer.documents('capped', 'logs_api');
    assert.equal(docs.length, 20, 'the peer keeps max documents');
    assert.equal(docs.at(-1)!['log'], 'capped 49');
    assert.equal(docs[0]!['tag'], `api/${ID.slice(0, 12)}`);
  });

  test('mongodb-ttl makes the time index a TTL index', async () => {
    const d = openMongoDriver(opts(peer, { 'mongodb-database': 'ttl', 'mongodb-ttl': '7d' }), ctx());
    assert.equal((await d.send(lines(3, 'ttl'), never)).status, 'ok');
    await d.close();
    const time = (await client.db('ttl').collection('logs').indexes()).find((i) => i.name === 'time_1');
    assert.equal(time?.expireAfterSeconds, 604_800);
    assert.deepEqual(time?.key, { time: 1 });
  });

  test('an index that exists with other options does not stop logging', async () => {
    await client.db('conflict').collection('logs').createIndex({ time: 1 }, { name: 'time_1' });
    const d = openMongoDriver(opts(peer, { 'mongodb-database': 'conflict', 'mongodb-ttl': '1h' }), ctx());
    assert.equal((await d.send(lines(2, 'kept'), never)).status, 'ok');
    await d.close();
    assert.equal(peer.documents('conflict', 'logs').length, 2);
  });

  test('a batch the server stored but never acknowledged is retried without duplicates (11000 counts as delivered)', async () => {
    const d = openMongoDriver(opts(peer, { 'mongodb-database': 'dedup' }), ctx());
    assert.equal((await d.send(lines(4, 'warm'), never)).status, 'ok');
    const batch = lines(10, 'retried');
    peer.cutNextInsert(6); // stores 6 of 10, then the connection drops before the reply
    const first = await d.send(batch, never);
    assert.equal(first.status, 'retry');
    assert.equal(peer.documents('dedup', 'logs').length, 4 + 6);
    let second = await d.send(batch, never);
    for (let i = 0; second.status === 'retry' && i < 50; i++) second = await d.send(batch, never); // the client may need a moment to reconnect
    assert.deepEqual(second, { status: 'ok' });
    const docs = peer.documents('dedup', 'logs');
    assert.deepEqual(docs.map((x) => x['log']), [...lines(4, 'warm'), ...batch].map((m) => m.line.toString()));
    assert.equal(new Set(docs.map((x) => x['_id'])).size, 14);
    peer.cutNextInsert(); // the whole batch stored, unanswered
    const again = lines(3, 'whole');
    let r = await d.send(again, never);
    for (let i = 0; r.status === 'retry' && i < 50; i++) r = await d.send(again, never);
    assert.deepEqual(r, { status: 'ok' });
    assert.equal(peer.documents('dedup', 'logs').length, 17);
    await d.close();
  });

  test('the URI\'s write concern goes with every insert', async () => {
    const d = openMongoDriver(parseMongoOptions({ 'mongodb-uri': `${peer.uri}/?w=majority&journal=true&wtimeoutMS=500`, 'mongodb-database': 'wc' }), ctx());
    assert.equal((await d.send(lines(1, 'wc'), never)).status, 'ok');
    await d.close();
    const insert = peer.commands.find((c) => c.name === 'insert' && c.db === 'wc')!;
    assert.deepEqual(insert.body['writeConcern'], { w: 'majority', wtimeout: 500, j: true });
  });

  test('insert replies: duplicates only are delivered, other refusals fail, a write concern not met is retried', () => {
    const uri = (text: string) => new Error(`at h: ${text}`);
    assert.deepEqual(classifyInsertReply({ n: 3, ok: 1 }, uri, 3), { status: 'ok' });
    assert.deepEqual(classifyInsertReply({ n: 1, ok: 1, writeErrors: [{ index: 0, code: 11000 }, { index: 2, code: 11000 }] }, uri, 3), { status: 'ok' });
    const fail = classifyInsertReply({ n: 1, ok: 1, writeErrors: [{ index: 0, code: 11000 }, { index: 1, code: 121, errmsg: 'Document failed validation' }] }, uri, 3);
    assert.equal(fail.status, 'fail');
    assert.equal((fail as { error: Error }).error.message, 'at h: 1 of 3 documents refused: Document failed validation');
    const wce = classifyInsertReply({ n: 3, ok: 1, writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' } }, uri, 3);
    assert.equal(wce.status, 'retry');
    assert.equal((wce as { error: Error }).error.message, 'at h: write concern: waiting for replication timed out');
  });

  test('documents the server refuses (other than duplicates) fail the batch; the rest are stored', async () => {
    const d = openMongoDriver(opts(peer, { 'mongodb-database': 'refuse' }), ctx());
    peer.store.refuse = { log: 'bad 1' };
    try {
      const r = await d.send(lines(3, 'bad'), never);
      assert.equal(r.status, 'fail');
      assert.match((r as { error: Error }).error.message, /^MongoDB at mongodb:\/\/127\.0\.0\.1:\d+ refuse\.logs: 1 of 3 documents refused: Document failed validation$/);
    } finally {
      peer.store.refuse = undefined;
    }
    assert.deepEqual(peer.documents('refuse', 'logs').map((x) => x['log']), ['bad 0', 'bad 2']);
    await d.close();
  });

  test('a down server makes send() a quick retry with a redacted error and honours abort; once up, the lines go', async () => {
    const down = await MongoPeer.start();
    await down.down();
    const d = openMongoDriver(parseMongoOptions({ 'mongodb-uri': `mongodb://app:hunter2@127.0.0.1:${down.port}` }), ctx());
    const plain = openMongoDriver(parseMongoOptions({ 'mongodb-uri': down.uri }), ctx());
    try {
      const r = await d.send(lines(2, 'lost'), never);
      assert.equal(r.status, 'retry');
      assert.match((r as { error: Error }).error.message, /^MongoDB at mongodb:\/\/<credentials>@127\.0\.0\.1:\d+ corral\.logs: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
      const abort = new AbortController();
      const pending = d.send(lines(2, 'aborted'), abort.signal);
      abort.abort();
      assert.equal((await pending).status, 'retry');
      // A client whose first connect failed is replaced: the batch goes through once the server is up.
      const batch = lines(2, 'later');
      assert.equal((await plain.send(batch, never)).status, 'retry');
      await down.up();
      let r2 = await plain.send(batch, never);
      for (let i = 0; r2.status === 'retry' && i < 50; i++) r2 = await plain.send(batch, never);
      assert.deepEqual(r2, { status: 'ok' });
      assert.deepEqual(down.documents('corral', 'logs').map((x) => x['log']), ['later 0', 'later 1']);
    } finally {
      await d.close();
      await plain.close();
      await down.close();
    }
  });

  test('probe pings the server, and says what failed when it is down (no password)', async () => {
    await mongodb.probe!(opts(peer), ctx(), 2_000);
    assert.ok(peer.commands.some((c) => c.name === 'ping'));
    const down = await MongoPeer.start();
    await down.down();
    await assert.rejects(mongodb.probe!(parseMongoOptions({ 'mongodb-uri': `mongodb://app:hunter2@127.0.0.1:${down.port}/?appName=x` }), ctx(), 300),
      (e: Error) => /^cannot reach mongodb:\/\/<credentials>@127\.0\.0\.1:\d+\/\?appName=x: /.test(e.message) && !e.message.includes('hunter2'));
  });

  test('create() never connects: a driver that sends nothing opens no connection', async () => {
    const before = peer.commands.length;
    const d = await mongodb.create(opts(peer), ctx());
    await d.close();
    assert.equal(peer.commands.length, before);
  });

  test('the peer takes inserts as OP_MSG document sequences (section kind 1), as servers do', async () => {
    const docs = [{ _id: 'seq-1', log: 'a' }, { _id: 'seq-2', log: 'b' }];
    const reply = await rawOpMsg(peer.port, { insert: 'logs', ordered: false, $db: 'kind1' }, 'documents', docs);
    assert.deepEqual({ n: reply['n'], ok: reply['ok'] }, { n: 2, ok: 1 });
    assert.deepEqual(peer.commands.at(-1)!.sequences, ['documents']);
    assert.deepEqual(peer.documents('kind1', 'logs'), docs);
  });
});

describe('insert commands stay under MongoDB limits', () => {
  const doc = (log: string, i: number): LogDocument => ({
    _id: `x-${i}`, time: new Date(0), time_ns: Long.fromNumber(0), log, source: 'stdout', container_id: ID, container_name: 'n', tag: 't', host: 'h',
  });
  test('at most 100,000 documents and under 16 MiB each, order kept', () => {
    const many = Array.from({ length: 250_001 }, (_, i) => doc('', i));
    const chunks = commandChunks(many, 0);
    assert.ok(chunks.length >= 3 && chunks.every((c) => c.length <= MAX_COMMAND_DOCS));
    assert.equal(chunks.flat().length, many.length);
    const big = Array.from({ length: 1200 }, (_, i) => doc('x'.repeat(16384), i));
    const sized = commandChunks(big, 0);
    assert.ok(sized.length > 1);
    for (const c of sized) assert.ok(BSON.calculateObjectSize({ documents: c }) < 16 * 1024 * 1024);
    assert.deepEqual(sized.flat().map((d) => d._id), big.map((d) => d._id));
  });
});

describe('reading back: openMongoReader', () => {
  let peer: MongoPeer;
  const other = 'ffee00112233'.padEnd(64, '1');
  before(async () => {
    peer = await MongoPeer.start();
    const web = openMongoDriver(opts(peer, { 'mongodb-database': 'read', labels: 'team' }), ctx(), 1n);
    await web.send(Array.from({ length: 10 }, (_, i) => message(i % 2 ? 'stderr' : 'stdout', T0 + BigInt(i) * 1_000_000_000n, Buffer.from(`web ${i}`))), never);
    await web.send([message('stdout', T0 + 20_000_000_000n, Buffer.from('part-a'), { id: 'q', ordinal: 1, last: false })], never);
    await web.close();
    const db = openMongoDriver(opts(peer, { 'mongodb-database': 'read' }), ctx({ id: other, name: 'db', labels: {} }), 1n);
    await db.send([message('stdout', T0 + 500_000_000n, Buffer.from('db 0'))], never);
    await db.close();
  });
  after(() => peer.close());

  const read = async (workload: string | undefined, o: { tail?: number; since?: bigint; until?: bigint } = {}) => {
    const out: LogMessage[] = [];
    for await (const m of openMongoReader({ uri: peer.uri, database: 'read', workload }).read({ follow: false, ...o }, never)) out.push(m);
    return out;
  };
  const texts = (ms: LogMessage[]) => ms.map((m) => m.line.toString());

  test('one workload by name, id or prefix: every line in order, with stream, time, partial and attrs', async () => {
    const all = await read('web');
    assert.deepEqual(texts(all), [...Array.from({ length: 10 }, (_, i) => `web ${i}`), 'part-a']);
    assert.equal(all[1]!.stream, 'stderr');
    assert.equal(all[3]!.time, T0 + 3_000_000_000n);
    assert.deepEqual(all[0]!.attrs, { team: 'core' });
    assert.deepEqual(all.at(-1)!.partial, { id: 'q', ordinal: 1, last: false });
    assert.deepEqual(texts(await read(ID)), texts(all));
    assert.deepEqual(texts(await read('ab12')), texts(all));
    assert.deepEqual(texts(await read('db')), ['db 0']);
  });

  test('--tail, --since and --until', async () => {
    assert.deepEqual(texts(await read('web', { tail: 2 })), ['web 9', 'part-a']);
    assert.deepEqual(texts(await read('web', { tail: 0 })), []);
    assert.deepEqual(texts(await read('web', { since: T0 + 8_000_000_000n })), ['web 8', 'web 9', 'part-a']);
    assert.deepEqual(texts(await read('web', { until: T0 + 1_000_000_000n })), ['web 0', 'web 1']);
    assert.deepEqual(texts(await read('web', { since: T0 + 2_000_000_000n, until: T0 + 3_000_000_000n, tail: 1 })), ['web 3']);
  });

  test('without a workload: every workload, by time', async () => {
    assert.deepEqual(texts(await read(undefined, { tail: 3 })), ['web 8', 'web 9', 'part-a']);
    assert.deepEqual(texts(await read(undefined)).slice(0, 3), ['web 0', 'db 0', 'web 1']);
  });

  test('unknown workloads and ambiguous prefixes are errors; a down server is a clear error', async () => {
    await assert.rejects(read('nope'), /No such container: nope/);
    const extra = openMongoDriver(opts(peer, { 'mongodb-database': 'read' }), ctx({ id: 'ab99'.padEnd(64, '0'), name: 'x' }), 1n);
    await extra.send([message('stdout', T0, Buffer.from('x'))], never);
    await extra.close();
    await assert.rejects(read('ab'), /multiple IDs found with provided prefix: ab/);
    const down = await MongoPeer.start();
    await down.down();
    const r = openMongoReader({ uri: `mongodb://u:hunter2@127.0.0.1:${down.port}`, database: 'read', workload: 'web' });
    await assert.rejects(async () => { for await (const _ of r.read({ follow: false }, never)) break; },
      (e: Error) => /^mongodb: reading read\.logs at mongodb:\/\/<credentials>@127\.0\.0\.1:\d+: /.test(e.message) && !e.message.includes('hunter2'));
  });

  test('follow prints the history, then new lines of the workload (not of others) until aborted', async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const m of openMongoReader({ uri: peer.uri, database: 'read', workload: 'db' }).read({ follow: true }, abort.signal)) {
        seen.push(m.line.toString());
        if (seen.length === 3) abort.abort();
      }
    })();
    await until(() => seen.length === 1);
    const again = openMongoDriver(opts(peer, { 'mongodb-database': 'read' }), ctx({ id: other, name: 'db', labels: {} }), 2n);
    const web = openMongoDriver(opts(peer, { 'mongodb-database': 'read' }), ctx(), 3n);
    await web.send([message('stdout', T0, Buffer.from('web later'))], never);
    await again.send([message('stdout', T0, Buffer.from('db 1')), message('stderr', T0, Buffer.from('db 2'))], never);
    await reading;
    assert.deepEqual(seen, ['db 0', 'db 1', 'db 2']);
    await again.close();
    await web.close();
  });
});

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(f(), 'gave up waiting');
}

/** Sends one OP_MSG with a kind-0 body and a kind-1 document sequence; returns the reply body. */
function rawOpMsg(port: number, body: object, id: string, docs: object[]): Promise<Record<string, unknown>> {
  const seqDocs = Buffer.concat(docs.map((d) => BSON.serialize(d)));
  const ident = Buffer.from(`${id}\0`);
  const seqLen = Buffer.alloc(4);
  seqLen.writeInt32LE(4 + ident.length + seqDocs.length);
  const payload = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), BSON.serialize(body), Buffer.from([1]), seqLen, ident, seqDocs]);
  const head = Buffer.alloc(16);
  head.writeInt32LE(16 + payload.length, 0);
  head.writeInt32LE(7, 4);
  head.writeInt32LE(2013, 12);
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.concat([head, payload])));
    let got = Buffer.alloc(0);
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4 && got.length >= got.readInt32LE(0)) {
        s.destroy();
        assert.equal(got.readInt32LE(8), 7, 'responseTo');
        resolve(BSON.deserialize(got.subarray(21)));
      }
    });
    s.on('error', reject);
  });
}
