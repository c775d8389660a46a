import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { LogMessage, message } from '../../engine/logs/message';
import { LogReader, ReadOptions, ReadWarning } from '../../engine/logs/reader';
import { formatFixedNano, formatRFC3339Nano } from '../../engine/logs/timefmt';
import { JsonEntryEncoder } from '../../drivers/json-file/encode';
import { LogFile } from '../../drivers/json-file/logfile';
import { liveSource, openJsonFileReader, pathSource } from '../../drivers/json-file/reader';
import { MAX_PINNED } from '../../drivers/json-file/reader/live-source';
import { LogShape, ReaderHarness, ReaderSubject, T0, msgs, readerConformance } from './reader';

const ID = 'c0ffee'.padEnd(64, '0');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'corral-reader-'));
}

/** A json-file log written by the real LogFile, read through the live writer or by path only. */
function jsonFileSubject(kind: 'live' | 'path'): ReaderSubject {
  return {
    endsWhenWriterCloses: kind === 'live',
    exactMissedCount: kind === 'live',
    pinsFiles: kind === 'live' ? MAX_PINNED : undefined,
    create(shape: LogShape, attrs?: Readonly<Record<string, string>>): ReaderHarness {
      const dir = tempDir();
      const base = path.join(dir, `${ID}-json.log`);
      const lf = new LogFile(base, shape);
      const enc = new JsonEntryEncoder(attrs);
      let lastTime = formatRFC3339Nano(T0);
      const append = (bytes: Buffer, entries: number) => {
        if (lf.needsRotation()) lf.rotate();
        lf.append(bytes, entries, lastTime);
      };
      return {
        reader: openJsonFileReader(kind === 'live' ? liveSource(lf) : pathSource(base)),
        write(ms) {
          for (const m of ms) {
            lastTime = formatRFC3339Nano(m.time);
            append(Buffer.from(enc.encodeOne(m)), 1);
          }
        },
        rotate: () => lf.rotate(),
        writeGarbage: (text) => append(Buffer.from(`${text}\n`), 1),
        writeSplit(m) {
          const bytes = Buffer.from(enc.encodeOne(m));
          const cut = bytes.length >> 1;
          lastTime = formatRFC3339Nano(m.time);
          append(bytes.subarray(0, cut), 0);
          return () => lf.append(bytes.subarray(cut), 1, lastTime);
        },
        damageCompressed(k) {
          const p = `${base}.${k}.gz`;
          fs.truncateSync(p, fs.statSync(p).size >> 1);
        },
        files: () => fs.readdirSync(dir).sort(),
        async settled() {
          // Compression runs in the background; wait (bounded) until no rotated file is plain.
          const plain = new RegExp(`^${ID}-json\\.log\\.\\d+$`);
          for (let i = 0; i < 1500; i++) {
            if (!shape.compress || !fs.readdirSync(dir).some((n) => plain.test(n))) return;
            await new Promise((r) => setTimeout(r, 10));
          }
          throw new Error(`compression did not finish: ${fs.readdirSync(dir).join(' ')}`);
        },
        closeWriter: () => lf.close(),
        async dispose() {
          await lf.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

readerConformance('json-file, live LogFile', jsonFileSubject('live'));
readerConformance('json-file, path only', jsonFileSubject('path'));

// ---- json-file specifics ----------------------------------------------------------------

async function readAll(r: LogReader, o: Partial<ReadOptions> = {}): Promise<{ msgs: LogMessage[]; warnings: ReadWarning[] }> {
  const out = { msgs: [] as LogMessage[], warnings: [] as ReadWarning[] };
  for await (const m of r.read({ follow: false, ...o }, new AbortController().signal, (w) => out.warnings.push(w))) out.msgs.push(m);
  return out;
}

const text = (ms: readonly LogMessage[]) => ms.map((m) => m.line.toString());
const encode = (ms: readonly LogMessage[]) => Buffer.concat(ms.map((m) => new JsonEntryEncoder(undefined).encodeOne(m)));

describe('json-file reader: real Docker output', () => {
  const file = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'docker', 'real-docker-json.log');
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { log: string; time: string });
  const reader = openJsonFileReader(pathSource(file));

  test('reads all 21 lines as Docker wrote them', async () => {
    const r = await readAll(reader);
    assert.equal(r.msgs.length, 21);
    assert.deepEqual(text(r.msgs), lines.map((l) => l.log.slice(0, -1)));
    assert.ok(r.msgs.every((m) => m.stream === 'stdout' && m.partial === undefined && m.attrs === undefined));
    assert.deepEqual(r.msgs.map((m) => formatRFC3339Nano(m.time)), lines.map((l) => l.time));
    assert.deepEqual(r.warnings, []);
  });

  test("line 12's eight-digit time prints with nine digits as docker logs -t does", async () => {
    const m = (await readAll(reader)).msgs[11]!;
    assert.equal(lines[11]!.time, '2016-03-02T22:59:04.66649744Z');
    assert.equal(formatFixedNano(m.time), '2016-03-02T22:59:04.666497440Z');
    assert.equal(m.line.toString(), "sed -i.bk 's/device: any/device: en0/' /build/packetbeat-darwin.yml");
  });

  test('tail and since', async () => {
    assert.deepEqual(text((await readAll(reader, { tail: 3 })).msgs), lines.slice(-3).map((l) => l.log.slice(0, -1)));
    const since = (await readAll(reader)).msgs[11]!.time;
    assert.equal((await readAll(reader, { since })).msgs.length, 10);
    assert.equal((await readAll(reader, { since, until: since })).msgs.length, 1);
  });
});

describe('json-file reader: files as found on disk', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('tail reads backwards from the end: a 1 GiB file costs no more than its last block', async () => {
    const p = path.join(dir(), 'big-json.log');
    const fd = fs.openSync(p, 'w');
    // A sparse GiB of NUL bytes, then real entries: a reader that read from the start would
    // meet a 1 GiB corrupt line (and take seconds); reading backwards never touches it.
    const tail = Buffer.concat([Buffer.from('\n'), encode(msgs(0, 200))]);
    fs.writeSync(fd, tail, 0, tail.length, 1024 ** 3);
    fs.closeSync(fd);
    const r = await readAll(openJsonFileReader(pathSource(p)), { tail: 100 });
    assert.deepEqual(text(r.msgs), text(msgs(100, 200)));
    assert.deepEqual(r.warnings, []);
  });

  test('a rotated file present both plain and as a half-written .gz is read once, from the plain file', async () => {
    const d = dir();
    const p = path.join(d, 'x-json.log');
    fs.writeFileSync(`${p}.2.gz`, zlib.gzipSync(encode(msgs(0, 10)))); // no lastTime header: still readable
    fs.writeFileSync(`${p}.1`, encode(msgs(10, 20)));
    fs.writeFileSync(`${p}.1.gz`, zlib.gzipSync(encode(msgs(10, 20))).subarray(0, 20)); // compression under way
    fs.writeFileSync(p, encode(msgs(20, 30)));
    fs.writeFileSync(path.join(d, 'x-json.log.gz-tmp-1'), 'junk'); // not part of the chain
    const reader = openJsonFileReader(pathSource(p));
    const r = await readAll(reader);
    assert.deepEqual(text(r.msgs), text(msgs(0, 30)));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(text((await readAll(reader, { since: msgs(5, 6)[0]!.time })).msgs), text(msgs(5, 30)));
    assert.deepEqual(text((await readAll(reader, { tail: 25 })).msgs), text(msgs(5, 30)));
  });

  test('a missing log file is an error, not an empty log', async () => {
    const p = path.join(dir(), 'none-json.log');
    await assert.rejects(readAll(openJsonFileReader(pathSource(p))), /no such log file/);
  });

  test('follow by path survives a copytruncate: warns and reads the file again from the start', async () => {
    const p = path.join(dir(), 'x-json.log');
    fs.writeFileSync(p, encode(msgs(0, 5)));
    const ac = new AbortController();
    const warnings: ReadWarning[] = [];
    const it = openJsonFileReader(pathSource(p)).read({ follow: true }, ac.signal, (w) => warnings.push(w))[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < 5; i++) await it.next();
      const pending = it.next();
      fs.truncateSync(p, 0);
      fs.appendFileSync(p, encode(msgs(5, 6)));
      const got = await Promise.race([pending, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timed out')), 15_000).unref())]);
      assert.equal(got.done, false);
      assert.equal((got.value as LogMessage).line.toString(), text(msgs(5, 6))[0]);
      assert.equal(warnings.filter((w) => w.kind === 'missed').length, 1, JSON.stringify(warnings));
    } finally {
      ac.abort();
      await it.return?.();
    }
  });

  test("after an agent restart, a new LogFile's reader still reads the previous run's files", async () => {
    const p = path.join(dir(), 'x-json.log');
    const enc = new JsonEntryEncoder(undefined);
    const write = (lf: LogFile, ms: LogMessage[]) => ms.forEach((m) => lf.append(Buffer.from(enc.encodeOne(m)), 1, formatRFC3339Nano(m.time)));
    const before = new LogFile(p, { maxSize: null, maxFiles: 4, compress: true });
    write(before, msgs(0, 10));
    before.rotate();
    write(before, msgs(10, 20));
    before.rotate();
    write(before, msgs(20, 25));
    await before.close();
    const lf = new LogFile(p, { maxSize: null, maxFiles: 4, compress: false }); // the agent, restarted
    write(lf, msgs(25, 30));
    const reader = openJsonFileReader(liveSource(lf));
    assert.deepEqual(text((await readAll(reader)).msgs), text(msgs(0, 30)));
    assert.deepEqual(text((await readAll(reader, { tail: 22 })).msgs), text(msgs(8, 30)));
    assert.deepEqual(text((await readAll(reader, { since: msgs(3, 4)[0]!.time })).msgs), text(msgs(3, 30)));
    await lf.close();
  });

  test('tail counts the chunks of a long line, as Docker does', async () => {
    const p = path.join(dir(), 'x-json.log');
    const chunk = (s: string, ordinal: number, last: boolean) => message('stdout', T0, Buffer.from(s), { id: 'i', ordinal, last });
    fs.writeFileSync(p, encode([chunk('a', 1, false), chunk('b', 2, false), chunk('c', 3, true)]));
    const r = await readAll(openJsonFileReader(pathSource(p)), { tail: 2 });
    assert.deepEqual(r.msgs.map((m) => [m.line.toString(), m.partial?.last]), [['b', false], ['c', true]]);
  });
});
