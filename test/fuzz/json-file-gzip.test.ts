import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { LogMessage, message } from '../../engine/logs/message';
import { ReadOptions, ReadWarning } from '../../engine/logs/reader';
import { compressRotated } from '../../drivers/json-file/compress';
import { JsonEntryEncoder } from '../../drivers/json-file/encode';
import { openJsonFileReader, pathSource } from '../../drivers/json-file/reader';
import { budget } from './budget';

const T0 = 1_714_557_600_000_000_000n;
const enc = new JsonEntryEncoder(undefined);

/** Line i of a test log: its number first, so a prefix is easy to see. Times 1 ms apart, in order. */
const line = (i: number) => message(i % 4 === 3 ? 'stderr' : 'stdout', T0 + BigInt(i) * 1_000_000n, Buffer.from(`${i} ${'x'.repeat(i % 50)} é <&>`));
const bytesOf = (from: number, to: number) => Buffer.concat(Array.from({ length: to - from }, (_, k) => enc.encodeOne(line(from + k))));

/** Docker gzips a rotated file whole; Go's reader (and ours) must also take several members one after another. */
function gzip(data: Buffer, members: number): Buffer {
  if (members <= 1 || data.length < members) return zlib.gzipSync(data);
  const cut = Math.floor(data.length / members);
  return Buffer.concat(Array.from({ length: members }, (_, k) => zlib.gzipSync(data.subarray(k * cut, k === members - 1 ? data.length : (k + 1) * cut))));
}

async function readAll(file: string, o: Partial<ReadOptions> = {}): Promise<{ nums: number[]; warnings: ReadWarning[] }> {
  const out = { nums: [] as number[], warnings: [] as ReadWarning[] };
  const ms: LogMessage[] = [];
  for await (const m of openJsonFileReader(pathSource(file)).read({ follow: false, ...o }, new AbortController().signal, (w) => out.warnings.push(w))) ms.push(m);
  out.nums = ms.map((m) => Number(m.line.toString('utf8').split(' ')[0]));
  return out;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);

/** A chain: `.3.gz` `.2.gz` `.1` (plain or gz) and the current file, with counts of entries in each, oldest first. */
const chain = fc.record({
  counts: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 4, maxLength: 4 }),
  members: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
  firstPlain: fc.boolean(),
});

describe('fuzz: gzip members and damaged .gz files through the json-file reader', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-gzfuzz-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  let n = 0;

  /** Writes the chain; returns the current file's path and where each file's entries start. */
  function write(c: { counts: number[]; members: number[]; firstPlain: boolean }): { file: string; starts: number[] } {
    const dir = path.join(root, String(n++));
    fs.mkdirSync(dir);
    const file = path.join(dir, 'w-json.log');
    const starts = [0];
    for (const k of c.counts) starts.push(starts.at(-1)! + k);
    const names = [`${file}.3.gz`, `${file}.2.gz`, c.firstPlain ? `${file}.1` : `${file}.1.gz`, file];
    names.forEach((name, i) => {
      const data = bytesOf(starts[i]!, starts[i + 1]!);
      fs.writeFileSync(name, name.endsWith('.gz') ? gzip(data, c.members[i] ?? 1) : data);
    });
    return { file, starts };
  }

  it('whole chains read back every entry in order, whatever the members; tail agrees', async () => {
    await fc.assert(fc.asyncProperty(chain, fc.nat(130), async (c, tail) => {
      const { file, starts } = write(c);
      const all = await readAll(file);
      assert.deepEqual(all.nums, range(0, starts[4]!));
      assert.deepEqual(all.warnings, []);
      assert.deepEqual((await readAll(file, { tail })).nums, range(Math.max(0, starts[4]! - tail), starts[4]!));
    }), budget(300));
  });

  it('a .gz cut anywhere gives what it holds before the cut (and a warning); the other files are whole', async () => {
    await fc.assert(fc.asyncProperty(chain, fc.constantFrom(0, 1, 2), fc.double({ min: 0, max: 1, noNaN: true }), async (c, which, at) => {
      c.firstPlain = false;
      const { file, starts } = write(c);
      const victim = `${file}.${3 - which}.gz`;
      const size = fs.statSync(victim).size;
      const keep = Math.floor(size * at);
      fs.truncateSync(victim, keep);
      const { nums, warnings } = await readAll(file);
      const [a, b] = [starts[which]!, starts[which + 1]!];
      const got = nums.filter((k) => k >= a && k < b);
      assert.deepEqual(got, range(a, a + got.length), 'a prefix of the damaged file');
      assert.deepEqual(nums.filter((k) => k < a || k >= b), [...range(0, a), ...range(b, starts[4]!)], 'every other entry, in order');
      if (keep < size && b > a) assert.ok(warnings.length > 0, 'the damage is reported');
    }), budget(300));
  });

  it('garbage, flipped bits and lying headers in a .gz never crash or hang the reader', async () => {
    const damage = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => (gz: Buffer) => Buffer.concat([gz.subarray(0, 10), Buffer.from(b)])),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => (gz: Buffer) => { const c = Buffer.from(gz); c[at % c.length]! ^= x; return c; }),
      fc.uint8Array({ maxLength: 40 }).map((extra) => (gz: Buffer) => { // FEXTRA of any bytes (Docker's holds {"lastTime":...})
        const head = Buffer.from(gz.subarray(0, 10));
        head[3] = head[3]! | 0x04;
        const xlen = Buffer.alloc(2);
        xlen.writeUInt16LE(extra.length);
        return Buffer.concat([head, xlen, Buffer.from(extra), gz.subarray(10)]);
      }),
      fc.constant(() => Buffer.alloc(0)),
    );
    await fc.assert(fc.asyncProperty(chain, damage, fc.option(fc.nat(40), { nil: undefined }), fc.option(fc.nat(100), { nil: undefined }), async (c, f, tail, sinceAt) => {
      c.firstPlain = false;
      const { file, starts } = write(c);
      fs.writeFileSync(`${file}.2.gz`, f(fs.readFileSync(`${file}.2.gz`)));
      const since = sinceAt === undefined ? undefined : T0 + BigInt(sinceAt) * 1_000_000n; // entry k's time
      const { nums } = await readAll(file, { tail, since });
      // A flipped bit may decode to other text, so only the undamaged current file is checked: all there, at the end.
      const current = range(starts[3]!, starts[4]!).filter((k) => sinceAt === undefined || k >= sinceAt);
      const want = tail === undefined ? current : current.slice(Math.max(0, current.length - tail));
      assert.deepEqual(nums.slice(nums.length - want.length), want);
      if (tail !== undefined) assert.ok(nums.length <= tail);
    }), budget(300));
  });

  it('a compression that fails midway reports its own error and closes its fd once (no EBADF, no stranger fd closed)', async () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    // A directory opens for reading but every read fails (EISDIR): the pipeline fails after the open.
    await assert.rejects(compressRotated(root, undefined, () => assert.fail('not done')), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
    // The temp file's stream closes its own fd asynchronously: wait (bounded) for the count to settle.
    for (let i = 0; i < 100 && fds() !== before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fds(), before);
  });
});
