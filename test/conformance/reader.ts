import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LogMessage, PartialMeta, endsLine, message } from '../../engine/logs/message';
import { LogReader, ReadOptions, ReadWarning } from '../../engine/logs/reader';

/**
 * Reader conformance: one set of assertions for every LogReader over rotated log files.
 * A subject creates a log through its real writer; the suite writes, rotates and damages it
 * through the harness and checks what the reader gives back.
 */

export interface LogShape {
  /** Rotate when the current file has reached this many bytes; null = only on rotate(). */
  maxSize: number | null;
  /** Files kept, the current one included. */
  maxFiles: number;
  compress: boolean;
}

export interface ReaderHarness {
  readonly reader: LogReader;
  /** Writes entries as the writer does, rotating first whenever the current file is full. */
  write(msgs: readonly LogMessage[]): void;
  rotate(): void;
  /** Writes a line that is not an entry at all. */
  writeGarbage(text: string): void;
  /** Writes the first half of m's entry; the returned function writes the rest (a writer caught mid-entry). */
  writeSplit(m: LogMessage): () => void;
  /** Cuts the compressed rotated file number k (`.k.gz`) to half its size. */
  damageCompressed(k: number): void;
  /** Names of the log's files as they are now. */
  files(): string[];
  /** Waits (bounded) until background compression of rotated files has finished. */
  settled(): Promise<void>;
  closeWriter(): Promise<void>;
  /** Closes the writer if needed and removes every file. */
  dispose(): Promise<void>;
}

export interface ReaderSubject {
  create(shape: LogShape, attrs?: Readonly<Record<string, string>>): ReaderHarness;
  /** A follower ends by itself once the writer has closed (else the suite aborts it). */
  endsWhenWriterCloses: boolean;
  /** The reader says exactly how many entries a slow follower lost (else it warns without a count). */
  exactMissedCount: boolean;
  /** How many unread files a follower keeps open against rotation (live writers), if any. */
  pinsFiles?: number;
}

// ---- messages ---------------------------------------------------------------------------

export const T0 = 1_714_557_600_000_000_000n; // 2024-05-01T10:00:00Z
const TEXTS = ['plain', 'quote " and \\ backslash', 'tab\there', 'html <b>&amp;</b>', 'unicode é 漢字 🚀', 'separators \u2028 \u2029', 'ctrl \x01\x1f\r', ''];

/** Message i of a test log: times 1.000000007 s apart, so fractions have every digit count. */
export function msg(i: number, t0 = T0): LogMessage {
  return message(i % 3 === 2 ? 'stderr' : 'stdout', t0 + BigInt(i) * 1_000_000_007n, Buffer.from(`${i} ${TEXTS[i % TEXTS.length]}`));
}

export function msgs(from: number, to: number, t0 = T0): LogMessage[] {
  return Array.from({ length: to - from }, (_, j) => msg(from + j, t0));
}

function show(m: LogMessage): string {
  return `${m.stream} ${m.time} ${JSON.stringify(m.line.toString('utf8'))}${endsLine(m) ? '' : ' (chunk)'}`;
}

function same(got: readonly LogMessage[], want: readonly LogMessage[], what = 'messages'): void {
  const [g, w] = [got.map(show), want.map(show)];
  if (g.join('\n') !== w.join('\n')) assert.deepEqual(g, w, what); // deepEqual only for its diff: it is slow on long lists
}

// ---- reading, with bounded waits --------------------------------------------------------

const WAIT_MS = 15_000;

async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Result { msgs: LogMessage[]; warnings: ReadWarning[] }

async function readAll(r: LogReader, o: Partial<ReadOptions> = {}): Promise<Result> {
  const ac = new AbortController();
  const out: Result = { msgs: [], warnings: [] };
  const run = async () => {
    for await (const m of r.read({ follow: false, ...o }, ac.signal, (w) => out.warnings.push(w))) out.msgs.push(m);
  };
  try {
    await within(run(), 'a read to end');
  } finally {
    ac.abort();
  }
  return out;
}

/** A follow read pulled by hand, so a test decides when the reader runs (a slow follower). */
class Follower {
  readonly msgs: LogMessage[] = [];
  readonly warnings: ReadWarning[] = [];
  private readonly ac = new AbortController();
  private readonly it: AsyncIterator<LogMessage>;

  constructor(r: LogReader, o: Partial<ReadOptions> = {}) {
    this.it = r.read({ follow: true, ...o }, this.ac.signal, (w) => this.warnings.push(w))[Symbol.asyncIterator]();
  }

  async take(n: number): Promise<LogMessage[]> {
    const got: LogMessage[] = [];
    while (got.length < n) {
      const r = await within(this.it.next(), `message ${this.msgs.length + 1}`);
      if (r.done) throw new Error(`follow ended after ${this.msgs.length} messages, ${n - got.length} short`);
      got.push(r.value);
      this.msgs.push(r.value);
    }
    return got;
  }

  /** Expects the read to end by itself (the writer closed). */
  async ends(): Promise<void> {
    const r = await within(this.it.next(), 'the follow to end');
    assert.equal(r.done, true, r.done ? '' : `unexpected message after the end: ${show(r.value)}`);
  }

  /** Ends the read: by itself when the subject ends on close, else by aborting. */
  async finish(s: ReaderSubject): Promise<void> {
    if (s.endsWhenWriterCloses) return this.ends();
    this.ac.abort();
    const r = await within(this.it.next(), 'the aborted follow to end');
    assert.equal(r.done, true);
  }

  stop(): void {
    this.ac.abort();
    void this.it.return?.();
  }
}

function kinds(ws: readonly ReadWarning[], kind: ReadWarning['kind']): ReadWarning[] {
  return ws.filter((w) => w.kind === kind);
}

// ---- the suite --------------------------------------------------------------------------

export function readerConformance(name: string, subject: ReaderSubject): void {
  describe(`reader conformance: ${name}`, () => {
    const open: ReaderHarness[] = [];
    const followers: Follower[] = [];
    const make = (shape: Partial<LogShape> = {}, attrs?: Record<string, string>): ReaderHarness => {
      const h = subject.create({ maxSize: null, maxFiles: 1, compress: false, ...shape }, attrs);
      open.push(h);
      return h;
    };
    const follower = (h: ReaderHarness, o: Partial<ReadOptions> = {}): Follower => {
      const f = new Follower(h.reader, o);
      followers.push(f);
      return f;
    };
    after(async () => {
      for (const f of followers) f.stop();
      for (const h of open) await h.dispose();
    });

    /** gens[g] = messages of generation g; each generation is closed by an explicit rotate. */
    const generations = (h: ReaderHarness, count: number, per: number): LogMessage[][] => {
      const gens: LogMessage[][] = [];
      for (let g = 0; g < count; g++) {
        if (g) h.rotate();
        gens.push(msgs(g * per, (g + 1) * per));
        h.write(gens[g]!);
      }
      return gens;
    };

    test('reads every entry in order: stream, time to the ns, exact bytes, attrs', async () => {
      const h = make({}, { tag: 'web', zone: 'a<b>' });
      const want = [...msgs(0, 40), message('stdout', T0 + 99_000_000_000n, Buffer.alloc(0))];
      h.write(want);
      const r = await readAll(h.reader);
      same(r.msgs, want);
      assert.deepEqual(r.warnings, []);
      for (const m of r.msgs) assert.deepEqual({ ...m.attrs }, { tag: 'web', zone: 'a<b>' });
    });

    test('a long line cut into chunks comes back as chunks that join into the line', async () => {
      const h = make();
      const a: PartialMeta = { id: 'p', ordinal: 1, last: false };
      const b: PartialMeta = { id: 'p', ordinal: 2, last: true };
      h.write([
        message('stdout', T0, Buffer.from('first half '), a),
        message('stderr', T0 + 1n, Buffer.from('between')),
        message('stdout', T0, Buffer.from('second half'), b),
      ]);
      const r = await readAll(h.reader);
      assert.deepEqual(r.msgs.map((m) => [m.line.toString(), endsLine(m)]), [
        ['first half ', false],
        ['between', true],
        ['second half', true],
      ]);
      assert.equal(r.msgs[0]!.partial?.last, false);
      assert.equal(r.msgs[2]!.partial?.last, true, 'the chunk that ends the line is marked last');
    });

    test('tail N: fewer, exactly as many and more than the file holds; tail 0 gives nothing', async () => {
      const h = make();
      const all = msgs(0, 100);
      h.write(all);
      for (const n of [1, 10, 99, 100, 101, 1000]) same((await readAll(h.reader, { tail: n })).msgs, all.slice(-n), `tail ${n}`);
      same((await readAll(h.reader, { tail: 0 })).msgs, [], 'tail 0');
      same((await readAll(h.reader, { tail: -1 })).msgs, all, 'a negative tail means all');
    });

    for (const compress of [false, true]) {
      test(`tail across rotated files${compress ? ' (compressed)' : ''}`, async () => {
        const h = make({ maxFiles: 5, compress });
        const all = generations(h, 5, 20).flat();
        await h.settled();
        if (compress) assert.ok(h.files().some((f) => f.endsWith('.gz')), `no .gz among ${h.files().join(' ')}`);
        for (const n of [1, 19, 20, 21, 55, 80, 99, 100, 150]) {
          same((await readAll(h.reader, { tail: n })).msgs, all.slice(-n), `tail ${n}`);
        }
      });
    }

    test('since/until: exact boundaries to the nanosecond', async () => {
      const h = make();
      const all = msgs(0, 100);
      h.write(all);
      const t = (k: number) => all[k]!.time;
      for (const k of [0, 1, 37, 99]) {
        same((await readAll(h.reader, { since: t(k) })).msgs, all.slice(k), `since = time of ${k}`);
        same((await readAll(h.reader, { since: t(k) + 1n })).msgs, all.slice(k + 1), `since = 1 ns after ${k}`);
        same((await readAll(h.reader, { until: t(k) })).msgs, all.slice(0, k + 1), `until = time of ${k}`);
        same((await readAll(h.reader, { until: t(k) - 1n })).msgs, all.slice(0, k), `until = 1 ns before ${k}`);
      }
      same((await readAll(h.reader, { since: t(20), until: t(30) })).msgs, all.slice(20, 31), 'since and until');
      same((await readAll(h.reader, { since: t(99) + 1n })).msgs, [], 'since after the last entry');
      same((await readAll(h.reader, { since: 0n })).msgs, all, 'since before the first entry');
    });

    test('entries 1 ns apart are told apart', async () => {
      const h = make();
      const two = [message('stdout', T0 + 5n, Buffer.from('a')), message('stderr', T0 + 6n, Buffer.from('b'))];
      h.write(two);
      same((await readAll(h.reader, { since: T0 + 6n })).msgs, two.slice(1));
      same((await readAll(h.reader, { until: T0 + 5n })).msgs, two.slice(0, 1));
    });

    for (const compress of [false, true]) {
      test(`since across rotated files${compress ? ', inside a .gz' : ''}, with and without tail`, async () => {
        const h = make({ maxFiles: 6, compress });
        const all = generations(h, 6, 50).flat();
        await h.settled();
        for (const k of [0, 49, 50, 75, 120, 201, 260, 299]) {
          same((await readAll(h.reader, { since: all[k]!.time })).msgs, all.slice(k), `since entry ${k}`);
          same((await readAll(h.reader, { since: all[k]!.time, tail: 5 })).msgs, all.slice(Math.max(k, 295)), `since ${k}, tail 5`);
          same((await readAll(h.reader, { since: all[k]!.time, until: all[k + 1]?.time ?? all[k]!.time })).msgs, all.slice(k, k + 2), `since..until ${k}`);
        }
      });
    }

    test('since in a large file with stdout/stderr times out of order matches a full scan', async () => {
      const h = make();
      // Entries are 1 ms apart, and every other one (stderr) is stamped 60 ms earlier than its
      // place: older than the 60 before it (some KiB of file), the last entry too. A binary
      // search that probes a stderr entry just after the boundary overshoots it; the back-off must cover that.
      const all = Array.from({ length: 8_000 }, (_, i) =>
        message(i % 2 ? 'stderr' : 'stdout', T0 + BigInt(i) * 1_000_000n - (i % 2 ? 60_000_000n : 0n), Buffer.from(`entry ${i} ${'x'.repeat(i % 50)}`)));
      h.write(all);
      const reference = (since: bigint, until?: bigint) => {
        const first = all.findIndex((m) => m.time >= since);
        const out = first < 0 ? [] : all.slice(first);
        const stop = until === undefined ? -1 : out.findIndex((m) => m.time > until);
        return stop < 0 ? out : out.slice(0, stop);
      };
      for (const k of [0, 1, 2, 61, 62, 700, 2001, 4000, 5999, 7000, 7_960, 7_998, 7_999]) {
        const since = all[k]!.time;
        same((await readAll(h.reader, { since })).msgs, reference(since), `since entry ${k}`);
        same((await readAll(h.reader, { since: since - 1n })).msgs, reference(since - 1n), `since 1 ns before entry ${k}`);
      }
      const until = all[6_543]!.time;
      same((await readAll(h.reader, { since: all[3_000]!.time, until })).msgs, reference(all[3_000]!.time, until), 'since..until');
    });

    for (const compress of [false, true]) {
      test(`since where a rotated file${compress ? ' (.gz)' : ''} ends with a late entry older than since`, async () => {
        const h = make({ maxFiles: 3, compress });
        const at = (i: number, ms: number) => message('stdout', T0 + BigInt(ms * 1_000_000), Buffer.from(`${i}`));
        const gen0 = [...Array.from({ length: 9 }, (_, i) => at(i, i)), at(9, 5)];
        const gen1 = Array.from({ length: 10 }, (_, i) => at(10 + i, 10 + i));
        h.write(gen0);
        h.rotate();
        h.write(gen1);
        await h.settled();
        same((await readAll(h.reader, { since: gen0[8]!.time })).msgs, [...gen0.slice(8), ...gen1]);
        same((await readAll(h.reader, { since: gen1[9]!.time + 1n })).msgs, [], 'since after everything');
      });
    }

    test('follow: the existing entries, then new ones across a rotation, until the writer closes', async () => {
      const h = make({ maxFiles: 3 });
      h.write(msgs(0, 10));
      const f = follower(h);
      same(await f.take(10), msgs(0, 10), 'history');
      h.write(msgs(10, 15));
      same(await f.take(5), msgs(10, 15), 'new entries');
      const pending = f.take(10);
      h.rotate();
      h.write(msgs(15, 25));
      same(await pending, msgs(15, 25), 'after a rotation');
      await h.closeWriter();
      await f.finish(subject);
      assert.deepEqual(f.warnings, []);
    });

    test('follow with tail 0 gives only new entries; with since, history from since', async () => {
      const h = make();
      h.write(msgs(0, 10));
      const f0 = follower(h, { tail: 0 });
      const fSince = follower(h, { since: msg(7).time });
      const first = f0.take(1);
      same(await fSince.take(3), msgs(7, 10), 'since history');
      h.write(msgs(10, 12));
      same([...(await first), ...(await f0.take(1))], msgs(10, 12), 'tail 0');
      same(await fSince.take(2), msgs(10, 12), 'since, new entries');
      await h.closeWriter();
      await f0.finish(subject);
      await fSince.finish(subject);
    });

    test('follow: an entry written in two steps is waited for, not reported corrupt', async () => {
      const h = make();
      h.write(msgs(0, 2));
      const f = follower(h);
      await f.take(2);
      const rest = h.writeSplit(msg(2));
      const pending = f.take(1);
      // Give the follower every chance to see the half entry before the rest comes.
      await new Promise((r) => setImmediate(r));
      rest();
      same(await pending, [msg(2)]);
      await h.closeWriter();
      await f.finish(subject);
      assert.deepEqual(f.warnings, []);
    });

    test('follow ends at the first entry after until', async () => {
      const future = 4_102_444_800_000_000_000n; // 2100-01-01: until is still ahead of the clock
      const h = make();
      h.write(msgs(0, 3, future));
      const f = follower(h, { until: msg(4, future).time });
      same(await f.take(3), msgs(0, 3, future));
      h.write(msgs(3, 8, future));
      same(await f.take(2), msgs(3, 5, future));
      await f.ends();
    });

    test('follow with until already past gives the history up to until and ends', async () => {
      const h = make();
      h.write(msgs(0, 10));
      const f = follower(h, { until: msg(5).time });
      same(await f.take(6), msgs(0, 6));
      await f.ends();
    });

    test('aborting ends a waiting follower', async () => {
      const h = make();
      h.write(msgs(0, 1));
      const ac = new AbortController();
      const it = h.reader.read({ follow: true }, ac.signal)[Symbol.asyncIterator]();
      await within(it.next(), 'the first message');
      const waiting = it.next();
      ac.abort();
      assert.equal((await within(waiting, 'the end after abort')).done, true);
    });

    for (const compress of [false, true]) {
      test(`follow through many rotations with a follower that lags${compress ? ' (compressing)' : ''}: nothing lost`, async () => {
        const h = make({ maxSize: 700, maxFiles: 100, compress });
        const f = follower(h);
        const all: LogMessage[] = [];
        let next = 0;
        for (let round = 0; round < 20; round++) {
          const batch = msgs(next, next + 25);
          next += 25;
          all.push(...batch);
          h.write(batch);
          await f.take(Math.min((round % 7) * 6, all.length - f.msgs.length));
        }
        assert.ok(h.files().length > 40, `expected many rotations, got files ${h.files().length}`);
        await f.take(all.length - f.msgs.length);
        same(f.msgs, all);
        await h.closeWriter();
        await f.finish(subject);
        assert.deepEqual(kinds(f.warnings, 'missed'), []);
        assert.deepEqual(f.warnings, []);
      });

      test(`a paused follower catches up over rotated files still present${compress ? ' (compressed)' : ''}`, async () => {
        const h = make({ maxFiles: 5, compress });
        h.write(msgs(0, 10));
        const f = follower(h);
        await f.take(1);
        for (let g = 1; g <= 4; g++) {
          h.rotate();
          h.write(msgs(g * 10, g * 10 + 10));
        }
        await h.settled();
        await f.take(49);
        same(f.msgs, msgs(0, 50));
        await h.closeWriter();
        await f.finish(subject);
        assert.deepEqual(f.warnings, []);
      });

      test(`a follower left behind past max-file loses nothing while it can hold the files${compress ? ' (compressed)' : ''}`, async () => {
        const h = make({ maxFiles: 3, compress });
        h.write(msgs(0, 10));
        const f = follower(h);
        await f.take(1);
        for (let g = 1; g <= 6; g++) {
          h.rotate();
          h.write(msgs(g * 10, g * 10 + 10));
        }
        await h.settled();
        // Generation 0 is held open; 1..3 are gone from disk; 4, 5 and the current 6 remain.
        const want = subject.pinsFiles ? msgs(0, 70) : [...msgs(0, 10), ...msgs(40, 70)];
        await f.take(want.length - 1);
        same(f.msgs, want);
        const missed = kinds(f.warnings, 'missed');
        if (subject.pinsFiles) {
          assert.deepEqual(missed, []);
        } else {
          assert.equal(missed.length, 1, JSON.stringify(f.warnings));
          assert.ok(missed[0]!.count === undefined || missed[0]!.count === 30);
        }
        await h.closeWriter();
        await f.finish(subject);
      });

      test(`a follower left behind past what it can hold is told exactly what it missed${compress ? ' (compressed)' : ''}`, async () => {
        const extra = 5;
        const gens = (subject.pinsFiles ?? 0) + extra + 1;
        const h = make({ maxFiles: 3, compress });
        h.write(msgs(0, 2));
        const f = follower(h);
        await f.take(1);
        for (let g = 1; g <= gens; g++) {
          h.rotate();
          h.write(msgs(g * 2, g * 2 + 2));
        }
        await h.settled();
        // Lost: the generations neither on disk (the last 3) nor held open for the follower (the newest pinsFiles).
        const lostGens = gens - (subject.pinsFiles ?? 3);
        const want = [...msgs(0, 2), ...msgs((lostGens + 1) * 2, (gens + 1) * 2)];
        await f.take(want.length - 1);
        same(f.msgs, want);
        const missed = kinds(f.warnings, 'missed');
        assert.equal(missed.length, 1, JSON.stringify(f.warnings));
        if (subject.exactMissedCount) assert.equal(missed[0]!.count, lostGens * 2);
        else assert.ok(missed[0]!.count === undefined || missed[0]!.count === lostGens * 2);
        await h.closeWriter();
        await f.finish(subject);
      });
    }

    test('corrupt entries: garbage lines and a truncated last entry are skipped and reported', async () => {
      const h = make({ maxFiles: 2 });
      h.write(msgs(0, 5));
      h.writeGarbage('this is not json');
      h.write(msgs(5, 8));
      h.rotate();
      h.writeGarbage('{"log":"x\\n","stream":"stdout","time":"yesterday"}');
      h.writeGarbage('{"log":"cut sho');
      h.write(msgs(8, 12));
      h.writeSplit(msg(12)); // the writer died mid-entry
      const r = await readAll(h.reader);
      same(r.msgs, msgs(0, 12));
      const corrupt = kinds(r.warnings, 'corrupt');
      assert.equal(corrupt.length, 4, JSON.stringify(r.warnings));
      for (const w of corrupt) assert.match(w.text, /byte \d+/);
      same((await readAll(h.reader, { tail: 3 })).msgs, msgs(9, 12), 'tail skips the truncated entry');
    });

    test('a half-written .gz gives what it holds before the damage; the other files are read whole', async () => {
      const h = make({ maxFiles: 4, compress: true });
      const gens = generations(h, 4, 400); // big enough that half a .gz still holds whole entries
      await h.settled();
      h.damageCompressed(2); // generation 1
      const r = await readAll(h.reader);
      const got = r.msgs.map(show);
      const expectStart = [...gens[0]!].map(show);
      assert.deepEqual(got.slice(0, 400), expectStart, 'generation 0 whole');
      assert.deepEqual(got.slice(-800), [...gens[2]!, ...gens[3]!].map(show), 'generations 2 and 3 whole');
      const partial = got.slice(400, -800);
      assert.ok(partial.length > 0 && partial.length < 400, `${partial.length} entries from the damaged file`);
      assert.deepEqual(partial, gens[1]!.slice(0, partial.length).map(show), 'a prefix of the damaged file');
      assert.ok(kinds(r.warnings, 'corrupt').some((w) => w.text.includes('.2.gz')), JSON.stringify(r.warnings));
    });
  });
}
