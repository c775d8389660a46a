import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StreamClock, WallClock } from '../../engine/logs/clock';
import { LineFramer } from '../../engine/logs/framer';
import { LogMessage, PartialMeta, Stream, message, messageIn } from '../../engine/logs/message';
import { native } from '../../engine/native';
import { JsonEntryEncoder } from '../../drivers/json-file/encode';
import { JsonFileDriver } from '../../drivers/json-file/index';
import { LogFile } from '../../drivers/json-file/logfile';

const T = 1_714_557_600_123_456_789n; // 2024-05-01T10:00:00.123456789Z
const TEXT = '2024-05-01T10:00:00.123456789Z';

/** Every golden test runs against the TypeScript encoder and, when it is built, the native one. */
const IMPLS = [
  { name: 'typescript', make: (attrs?: Record<string, string>) => new JsonEntryEncoder(attrs, { native: null }) },
  { name: 'native', make: (attrs?: Record<string, string>) => new JsonEntryEncoder(attrs, { native }) },
];

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const entry = (log: string, stream = 'stdout', time = TEXT, attrs = '') =>
  `{"log":"${log}","stream":"${stream}",${attrs}"time":"${time}"}\n`;

/** Line bytes -> the `log` value Docker writes for them (complete line: `\n` appended). */
const GOLDEN: Array<[string, Buffer, string]> = [
  ['plain ASCII as it is', Buffer.from('hello world'), 'hello world'],
  ['empty line', Buffer.alloc(0), ''],
  ['quote', Buffer.from('say "hi"'), 'say \\"hi\\"'],
  ['backslash', Buffer.from('C:\\dir\\'), 'C:\\\\dir\\\\'],
  ['newline inside a message', Buffer.from('a\nb'), 'a\\nb'],
  ['carriage return', Buffer.from('a\r'), 'a\\r'],
  ['tab is \\u0009, not \\t', Buffer.from('a\tb'), 'a\\u0009b'],
  ['NUL and the other bytes below 0x20', hex('00 01 08 0b 0c 0e 1b 1f'), '\\u0000\\u0001\\u0008\\u000b\\u000c\\u000e\\u001b\\u001f'],
  ['< > & as \\u003c \\u003e \\u0026', Buffer.from('<a href="x">&amp;</a>'), '\\u003ca href=\\"x\\"\\u003e\\u0026amp;\\u003c/a\\u003e'],
  ['DEL (0x7f) is kept', hex('61 7f 62'), 'a\x7fb'],
  ['space and printable ASCII are kept', Buffer.from(' !#$%\'()*+,-./09:;=?@AZ[]^_`az{|}~'), ' !#$%\'()*+,-./09:;=?@AZ[]^_`az{|}~'],
  ['U+2028 and U+2029 escaped', Buffer.from('a\u2028b\u2029c'), 'a\\u2028b\\u2029c'],
  ['valid 2-, 3- and 4-byte UTF-8 kept raw', Buffer.from('é € 😀 日本'), 'é € 😀 日本'],
  ['U+FFFD itself (EF BF BD) kept raw', hex('ef bf bd'), '\ufffd'],
  ['U+2027 and U+202A (neighbours) kept raw', Buffer.from('\u2027\u202a'), '\u2027\u202a'],
  ['highest code point U+10FFFF kept raw', hex('f4 8f bf bf'), '\u{10ffff}'],
  ['a lone continuation byte', hex('61 80 62'), 'a\\ufffdb'],
  ['0xff and 0xfe', hex('ff fe'), '\\ufffd\\ufffd'],
  ['overlong 2-byte (C0 AF, C1 BF)', hex('c0 af c1 bf'), '\\ufffd\\ufffd\\ufffd\\ufffd'],
  ['overlong 3-byte (E0 80 AF)', hex('e0 80 af'), '\\ufffd\\ufffd\\ufffd'],
  ['overlong 4-byte (F0 80 80 AF)', hex('f0 80 80 af'), '\\ufffd\\ufffd\\ufffd\\ufffd'],
  ['UTF-16 surrogates (ED A0 80, ED BF BF)', hex('ed a0 80 ed bf bf'), '\\ufffd'.repeat(6)],
  ['above U+10FFFF (F4 90 80 80)', hex('f4 90 80 80'), '\\ufffd'.repeat(4)],
  ['F5..F7 lead bytes', hex('f5 80 80 80'), '\\ufffd'.repeat(4)],
  ['truncated 2-byte sequence at the end', hex('61 c3'), 'a\\ufffd'],
  ['truncated 3-byte sequence before ASCII', hex('e2 82 41'), '\\ufffd\\ufffdA'],
  ['truncated 4-byte sequence at the end', hex('f0 9f 98'), '\\ufffd\\ufffd\\ufffd'],
  ['truncated U+2028 (E2 80)', hex('e2 80'), '\\ufffd\\ufffd'],
  ['a valid sequence right after an invalid byte', hex('80 c3 a9'), '\\ufffdé'],
  ['escapes at both ends and back to back', Buffer.from('"\\<>&"'), '\\"\\\\\\u003c\\u003e\\u0026\\"'],
];

function bytesOf(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

for (const impl of IMPLS) {
  describe(`json-file encoder (${impl.name})`, { skip: impl.name === 'native' && !native ? 'native addon not built' : false }, () => {
    for (const [name, line, log] of GOLDEN) {
      it(`escapes: ${name}`, () => {
        const enc = impl.make();
        assert.deepEqual(enc.encodeOne(message('stdout', T, line)), bytesOf(entry(`${log}\\n`)));
        // The same bytes in the middle of a larger buffer (the framer's zero-copy form).
        const src = Buffer.concat([Buffer.from('xx'), line, Buffer.from('\nyy')]);
        assert.deepEqual(enc.encodeOne(messageIn('stdout', T, src, 2, 2 + line.length)), bytesOf(entry(`${log}\\n`)));
      });
    }

    it('every single byte value, alone, as Docker writes it', () => {
      const enc = impl.make();
      for (let b = 0; b < 256; b++) {
        const expected = b === 0x22 ? '\\"' : b === 0x5c ? '\\\\' : b === 0x0a ? '\\n' : b === 0x0d ? '\\r'
          : b < 0x20 || b === 0x3c || b === 0x3e || b === 0x26 ? `\\u00${b.toString(16).padStart(2, '0')}`
            : b >= 0x80 ? '\\ufffd' : String.fromCharCode(b);
        assert.equal(enc.encodeOne(message('stdout', T, Buffer.from([b]))).toString('utf8'), entry(`${expected}\\n`), `byte 0x${b.toString(16)}`);
      }
    });

    it('partial chunks carry no newline; the last chunk of a line does', () => {
      const enc = impl.make();
      const p = (ordinal: number, last: boolean): PartialMeta => ({ id: 'f'.repeat(64), ordinal, last });
      assert.equal(enc.encodeOne(message('stdout', T, Buffer.from('part'), p(1, false))).toString(), entry('part'));
      assert.equal(enc.encodeOne(message('stdout', T, Buffer.from('end'), p(2, true))).toString(), entry('end\\n'));
      assert.equal(enc.encodeOne(message('stderr', T, Buffer.from('x<'), p(1, false))).toString(), entry('x\\u003c', 'stderr'));
      assert.equal(enc.encodeOne(message('stdout', T, Buffer.alloc(0), p(2, true))).toString(), entry('\\n'));
    });

    it('stream names', () => {
      const enc = impl.make();
      assert.equal(enc.encodeOne(message('stderr', T, Buffer.from('e'))).toString(), entry('e\\n', 'stderr'));
      assert.equal(enc.encodeOne(message('stdout', T, Buffer.from('o'))).toString(), entry('o\\n', 'stdout'));
    });

    it('times: Go RFC3339Nano, 0 to 9 fraction digits (trailing zeros trimmed), UTC', () => {
      const enc = impl.make();
      const base = 1_714_557_600n * 1_000_000_000n; // 2024-05-01T10:00:00Z
      const cases: Array<[bigint, string]> = [
        [0n, '2024-05-01T10:00:00Z'],
        [100_000_000n, '2024-05-01T10:00:00.1Z'],
        [120_000_000n, '2024-05-01T10:00:00.12Z'],
        [123_000_000n, '2024-05-01T10:00:00.123Z'],
        [123_400_000n, '2024-05-01T10:00:00.1234Z'],
        [123_450_000n, '2024-05-01T10:00:00.12345Z'],
        [123_456_000n, '2024-05-01T10:00:00.123456Z'],
        [123_456_700n, '2024-05-01T10:00:00.1234567Z'],
        [123_456_780n, '2024-05-01T10:00:00.12345678Z'],
        [123_456_789n, '2024-05-01T10:00:00.123456789Z'],
        [1n, '2024-05-01T10:00:00.000000001Z'],
        [10n, '2024-05-01T10:00:00.00000001Z'],
        [999_999_999n, '2024-05-01T10:00:00.999999999Z'],
        [1_000_000_000n, '2024-05-01T10:00:01Z'],
      ];
      for (const [off, text] of cases) {
        assert.equal(enc.encodeOne(message('stdout', base + off, Buffer.from('t'))).toString(), entry('t\\n', 'stdout', text));
      }
      // Other dates, including a leap day, a year boundary and the epoch.
      assert.equal(enc.timeText(0n), '1970-01-01T00:00:00Z');
      assert.equal(enc.timeText(951_782_400n * 1_000_000_000n + 5n), '2000-02-29T00:00:00.000000005Z');
      assert.equal(enc.timeText(1_735_689_599_999_999_999n), '2024-12-31T23:59:59.999999999Z');
      assert.equal(enc.timeText(-1n), '1969-12-31T23:59:59.999999999Z');
    });

    it('attrs: keys sorted by their UTF-8 bytes, keys and values escaped as Go json.Marshal', () => {
      const enc = impl.make({ b: '2', a: '1', B: 'upper', 'é': 'e', '\u{1F600}': 'smile', '\uFB01': 'ligature' });
      const attrs = '"attrs":{"B":"upper","a":"1","b":"2","é":"e","\uFB01":"ligature","\u{1F600}":"smile"},';
      assert.equal(enc.encodeOne(message('stdout', T, Buffer.from('x'))).toString(), entry('x\\n', 'stdout', TEXT, attrs));
      const esc = impl.make({ 'k"<': 'v\t\b\f\n\r\u0001<>&\\"\u2028' });
      assert.equal(esc.encodeOne(message('stdout', T, Buffer.from('x'))).toString(),
        entry('x\\n', 'stdout', TEXT, '"attrs":{"k\\"\\u003c":"v\\t\\b\\f\\n\\r\\u0001\\u003c\\u003e\\u0026\\\\\\"\\u2028"},'));
      assert.equal(impl.make({}).encodeOne(message('stdout', T, Buffer.from('x'))).toString(), entry('x\\n'), 'no attrs key when empty');
      // Room for attrs is counted in bytes: multi-byte values on an empty line fit.
      const wide = impl.make({ k: '日本語'.repeat(100) });
      assert.equal(wide.encodeOne(message('stdout', T, Buffer.alloc(0))).toString(),
        entry('\\n', 'stdout', TEXT, `"attrs":{"k":"${'日本語'.repeat(100)}"},`));
    });

    it('encodeBatch gives the bytes of encodeOne for each message, and where each ends', () => {
      const enc = impl.make({ tag: 'web' });
      const src = Buffer.from('one\ntwo "q"\nthree\n\nfive\tx\n');
      const batch: LogMessage[] = [];
      for (let pos = 0, i = src.indexOf(10); i >= 0; pos = i + 1, i = src.indexOf(10, pos)) batch.push(messageIn('stdout', T, src, pos, i));
      checkBatch(enc, impl.make({ tag: 'web' }), batch);
    });

    it('property: encodeBatch on random framed output equals per-message encoding (seeded)', () => {
      for (let seed = 1; seed <= 60; seed++) {
        const rnd = mulberry32(seed);
        const batches = randomBatches(rnd, 12, seed % 2 === 0); // every other seed ASCII only (whole-run fast paths)
        const enc = impl.make(seed % 3 === 0 ? { tag: `t${seed}` } : undefined);
        const ref = impl.make(seed % 3 === 0 ? { tag: `t${seed}` } : undefined);
        for (const b of batches) checkBatch(enc, ref, b, `seed ${seed}`);
      }
    });
  });
}

describe('json-file encoder: native and TypeScript agree', { skip: native ? false : 'native addon not built' }, () => {
  it('byte for byte on random input (seeded)', () => {
    for (let seed = 100; seed < 160; seed++) {
      const rnd = mulberry32(seed);
      const ts = new JsonEntryEncoder(undefined, { native: null });
      const nat = new JsonEntryEncoder(undefined, { native });
      for (const batch of randomBatches(rnd, 12, seed % 2 === 0)) {
        const a = encodeAll(ts, batch);
        const b = encodeAll(nat, batch);
        assert.deepEqual(b.bytes, a.bytes, `seed ${seed}`);
        assert.deepEqual(b.ends, a.ends, `seed ${seed}`);
      }
    }
  });

  it('a message holding its own newline (not from the framer) stays one entry in a run', () => {
    const src = Buffer.from('a\nb\nc');
    // Two messages back to back: "a\nb" and "c" - the separator is a newline but so is a byte inside.
    const batch = [messageIn('stdout', T, src, 0, 3), messageIn('stdout', T, src, 4, 5)];
    for (const enc of [new JsonEntryEncoder(undefined, { native: null }), new JsonEntryEncoder(undefined, { native })]) {
      assert.equal(encodeAll(enc, batch).bytes.toString(), entry('a\\nb\\n') + entry('c\\n'));
    }
  });
});

describe('json-file driver: rotation cuts', () => {
  it("rotates where Docker's size check before each entry would, inside one batch", async () => {
    for (const impl of IMPLS) {
      if (impl.name === 'native' && !native) continue;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-enc-'));
      try {
        const base = path.join(dir, 'x-json.log');
        const lf = new LogFile(base, { maxSize: 5000, maxFiles: 500, compress: false });
        const driver = new JsonFileDriver(lf, impl.make());
        const rnd = mulberry32(7);
        let sent = 0;
        for (const batch of randomBatches(rnd, 60)) {
          assert.equal((await driver.send(batch)).status, 'ok');
          sent += batch.length;
        }
        await driver.close();
        let entries = 0;
        for (let k = lf.generation; k >= 0; k--) {
          const file = k === 0 ? base : `${base}.${k}`;
          const text = fs.readFileSync(file, 'latin1');
          const lines = text.split('\n').slice(0, -1);
          entries += lines.length;
          if (k > 0) {
            // A rotated file reached max-size with its last entry, and not before it.
            assert.ok(text.length >= 5000, `${impl.name}: .${k} holds ${text.length} bytes`);
            assert.ok(text.length - lines[lines.length - 1]!.length - 1 < 5000, `${impl.name}: .${k} should have rotated earlier`);
          }
        }
        assert.equal(entries, sent, impl.name);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

function encodeAll(enc: JsonEntryEncoder, batch: readonly LogMessage[]): { bytes: Buffer; ends: number[] } {
  const out = Buffer.alloc(enc.maxBatchLength(batch));
  const ends = new Int32Array(batch.length);
  const n = enc.encodeBatch(batch, out, ends);
  return { bytes: out.subarray(0, n), ends: [...ends] };
}

function checkBatch(enc: JsonEntryEncoder, ref: JsonEntryEncoder, batch: readonly LogMessage[], what = ''): void {
  let bound = 0;
  for (const m of batch) bound += enc.maxLength(m);
  assert.equal(enc.maxBatchLength(batch), bound, `${what}: maxBatchLength is the sum of maxLength`);
  const { bytes, ends } = encodeAll(enc, batch);
  const one = batch.map((m) => ref.encodeOne(m));
  assert.deepEqual(bytes, Buffer.concat(one), what);
  let at = 0;
  assert.deepEqual(ends, one.map((b) => (at += b.length)), `${what}: entry ends`);
}

/** Deterministic PRNG (mulberry32) so a failure names its seed and reproduces. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'INFO  seq=0000000001 worker=00 path=/api/v1/items/0001 status=200 ok....',
  'plain text', '', ' ', 'x', '"quoted"', 'back\\slash', 'tab\there', 'cr\r', '<tag>&amp;', '\u007f', '\u0000\u001f',
  '\u2028\u2029', 'é€😀', '\u00ff', // the last three are not ASCII
];
const RAW = [hex('80'), hex('ff'), hex('c3'), hex('e2 82'), hex('f0 9f 98'), hex('ed a0 80'), hex('c0 af'), hex('f4 90 80 80'), hex('e2 80 a8')];

/** Random output cut into random chunks and framed, as the agent does: batches of messages. */
function randomBatches(rnd: () => number, chunks = 12, asciiOnly = false): LogMessage[][] {
  const parts: Buffer[] = [];
  const total = 2000 + Math.floor(rnd() * 30000);
  let size = 0;
  while (size < total) {
    const r = rnd();
    let b: Buffer;
    if (r < 0.55 || (asciiOnly && r < 0.7)) b = Buffer.from(PIECES[Math.floor(rnd() * (asciiOnly ? PIECES.length - 3 : PIECES.length))]!);
    else if (r < 0.7) b = RAW[Math.floor(rnd() * RAW.length)]!;
    else if (r < 0.97) b = Buffer.from('\n');
    else if (r < 0.99) b = Buffer.alloc(16_000 + Math.floor(rnd() * 2000), 'L'); // around the 16 KiB cut
    else b = Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * (asciiOnly ? 128 : 256))));
    parts.push(b);
    size += b.length;
  }
  const data = Buffer.concat(parts);
  let t = 0n;
  const wall = { nowNs: () => T + (t += 1000n) } as unknown as WallClock;
  const framers: Record<Stream, LineFramer> = {
    stdout: new LineFramer('stdout', new StreamClock(wall)),
    stderr: new LineFramer('stderr', new StreamClock(wall)),
  };
  const out: LogMessage[][] = [];
  let pos = 0;
  let batch: LogMessage[] = [];
  for (let c = 0; c < chunks && pos < data.length; c++) {
    const len = c === chunks - 1 ? data.length - pos : Math.floor(rnd() * (data.length / (chunks / 2)));
    // Chunks are handed over and never reused: copy, as a pipe read gives a fresh buffer.
    const chunk = Buffer.from(data.subarray(pos, pos + len));
    pos += len;
    const stream: Stream = rnd() < 0.8 ? 'stdout' : 'stderr';
    batch.push(...framers[stream].push(chunk));
    if (rnd() < 0.5) { out.push(batch); batch = []; } // the outlet sometimes merges chunks into one batch
  }
  batch.push(...framers.stdout.end(), ...framers.stderr.end());
  out.push(batch);
  return out.filter((b) => b.length);
}
