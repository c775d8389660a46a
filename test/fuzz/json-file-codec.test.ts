import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { LogMessage, Stream, endsLine, message, messageIn } from '../../engine/logs/message';
import { formatRFC3339Nano, parseRFC3339Nano } from '../../engine/logs/timefmt';
import { native } from '../../engine/native';
import { JsonEntryEncoder } from '../../drivers/json-file/encode';
import { decodeEntry, peekTime } from '../../drivers/json-file/reader/decode';
import { budget } from './budget';
import { dockerEscape, sanitized } from './docker-model';

const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.array(fc.constantFrom(...['\x1b[31m', '\r', '\0', '<', '&', '"', '\\', '\u2028', '\xff', 'é', '🚀', 'a', '\t', '\x7f'].map((s) => Buffer.from(s, s === '\xff' ? 'latin1' : 'utf8'))), { maxLength: 20 }).map((a) => Buffer.concat(a)),
).map((b) => Buffer.from(b.filter((x) => x !== 0x0a))); // the framer never puts a newline in a line

/** Any time RFC3339 can write with a four-digit year: 0001 (Go's zero time) to 9999. */
const time = fc.oneof(fc.bigInt(-62_135_596_800_000_000_000n, 253_402_300_799_999_999_999n), fc.bigInt(1_700_000_000_000_000_000n, 1_800_000_000_000_000_000n));
const stream = fc.constantFrom<Stream>('stdout', 'stderr');
const wellFormed = fc.string({ unit: 'binary', maxLength: 12 });
const attrs = fc.option(fc.dictionary(wellFormed, wellFormed, { maxKeys: 3 }), { nil: undefined });

const encoders = [new JsonEntryEncoder(undefined, { native: null }), ...(native ? [new JsonEntryEncoder(undefined, { native })] : [])];

function decodeLine(out: Buffer): ReturnType<typeof decodeEntry> {
  assert.equal(out[out.length - 1], 0x0a, 'an entry ends with a newline');
  assert.equal(out.indexOf(0x0a), out.length - 1, 'and has no other');
  return decodeEntry(out, 0, out.length - 1);
}

describe('fuzz: json-file entries', () => {
  it('encodes the log field byte for byte as Docker does (TypeScript and native alike)', () => {
    fc.assert(fc.property(hostileBytes, stream, time, fc.boolean(), (line, s, t, whole) => {
      const m = message(s, t, line, whole ? undefined : { id: 'x', ordinal: 1, last: false });
      const want = `{"log":"${dockerEscape(line)}${whole ? '\\n' : ''}","stream":"${s}","time":"${formatRFC3339Nano(t)}"}\n`;
      for (const enc of encoders) assert.equal(enc.encodeOne(m).toString('utf8'), want, `native=${enc.isNative}`);
      assert.equal(JSON.parse(want).log, sanitized(line).toString('utf8') + (whole ? '\n' : ''), 'any JSON reader agrees');
    }), budget(12000));
  });

  it('decode(encode(m)) gives back the line (invalid UTF-8 as U+FFFD), stream, time, completeness and attrs', () => {
    fc.assert(fc.property(hostileBytes, stream, time, fc.boolean(), attrs, (line, s, t, whole, a) => {
      const m = message(s, t, line, whole ? undefined : { id: 'x', ordinal: 1, last: false });
      const out = new JsonEntryEncoder(a).encodeOne(m);
      const e = decodeLine(out);
      if (typeof e === 'string') assert.fail(`not decoded (${e}): ${out}`);
      assert.deepEqual(e.line, sanitized(line));
      assert.equal(e.stream, s);
      assert.equal(e.time, t);
      assert.equal(e.complete, whole);
      assert.deepEqual(e.attrs, a && Object.keys(a).length ? Object.fromEntries(Object.entries(a)) : undefined);
      assert.equal(peekTime(out, 0, out.length - 1), t);
    }), budget(8000));
  });

  it('times: every RFC3339Nano text reads back to its nanosecond; a day or month out of range is no time', () => {
    fc.assert(fc.property(time, (t) => assert.equal(parseRFC3339Nano(formatRFC3339Nano(t)), t)), budget(8000));
    fc.assert(fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (y, mo, d) => {
      const text = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T00:00:00Z`;
      const exists = mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(2000, mo, 0)).getUTCDate() - (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 1 : 0);
      const ns = parseRFC3339Nano(text);
      assert.equal(ns !== undefined, exists, text);
      if (ns !== undefined) assert.equal(formatRFC3339Nano(ns), text);
    }), budget(8000));
  });

  it('a batch of lines cut from one pipe chunk encodes as the lines one by one', () => {
    fc.assert(fc.property(fc.array(hostileBytes, { minLength: 1, maxLength: 12 }), (lines) => {
      const t = 1_714_557_600_123_456_789n;
      const chunk = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      const batch: LogMessage[] = [];
      let pos = 0;
      for (const l of lines) { batch.push(messageIn('stdout', t, chunk, pos, pos + l.length)); pos += l.length + 1; }
      for (const enc of encoders) {
        const out = Buffer.alloc(enc.maxBatchLength(batch));
        const ends = new Int32Array(batch.length);
        const n = enc.encodeBatch(batch, out, ends);
        const one = Buffer.concat(batch.map((m) => enc.encodeOne(m)));
        assert.deepEqual(out.subarray(0, n), one, `native=${enc.isNative}`);
        let from = 0;
        batch.forEach((m, i) => {
          const e = decodeEntry(out, from, ends[i]! - 1);
          if (typeof e === 'string') assert.fail(e);
          assert.deepEqual(e.line, sanitized(m.line));
          assert.equal(e.complete, endsLine(m));
          from = ends[i]!;
        });
      }
    }), budget(4000));
  });

  it('decodeEntry never throws: random bytes, and real entries cut or with a byte changed', () => {
    const entry = fc.tuple(hostileBytes, time, fc.boolean()).map(([l, t, w]) => Buffer.from(encoders[0]!.encodeOne(message('stdout', t, l, w ? undefined : { id: '', ordinal: 1, last: false }))));
    const damaged = fc.tuple(entry, fc.nat(), fc.nat(255), fc.boolean()).map(([b, at, byte, cut]) => {
      const i = at % b.length;
      if (cut) return b.subarray(0, i);
      const c = Buffer.from(b);
      c[i] = byte;
      return c;
    });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), damaged, fc.json().map((j) => Buffer.from(j))), (buf) => {
      const e = decodeEntry(buf, 0, buf.length);
      if (typeof e !== 'string') {
        assert.ok(e.stream === 'stdout' || e.stream === 'stderr');
        assert.equal(typeof e.time, 'bigint');
        assert.ok(Buffer.isBuffer(e.line));
      }
      const t = peekTime(buf, 0, buf.length);
      assert.ok(t === undefined || typeof t === 'bigint');
    }), budget(12000));
  });
});
