import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DriverContext } from '../../engine/logs/driver';
import { LineFramer } from '../../engine/logs/framer';
import { WallClock, StreamClock } from '../../engine/logs/clock';
import { LogMessage, endsLine, message } from '../../engine/logs/message';
import { splitDeliveryMode } from '../../engine/logs/mode';
import { Outlet } from '../../engine/logs/outlet';
import { ReadOptions } from '../../engine/logs/reader';
import { formatRFC3339Nano } from '../../engine/logs/timefmt';
import { JsonFileDriver } from '../../drivers/json-file';
import { JournaldDriver, journald } from '../../drivers/journald';
import { openJournalReader } from '../../drivers/journald/reader';
import { JournalSocket } from '../../drivers/journald/socket';
import { TestJournal, journaldInstalled } from '../helpers/peers/journald';

const skip = !journaldInstalled() ? 'systemd-journald is not installed (apt-get install systemd)'
  : !JournalSocket.supported() ? 'corral\'s native addon is not built (unix datagram sockets)' : false;

const newId = () => randomBytes(32).toString('hex');

function ctx(id: string, extra: Partial<DriverContext> = {}): DriverContext {
  return { id, name: 'jtest', logDir: fs.mkdtempSync(path.join(os.tmpdir(), 'corral-journald-')), labels: {}, env: [], created: 0n, pid: () => 0, ...extra };
}

async function outlet(id: string, opts: Record<string, string> = {}, extra: Partial<DriverContext> = {}): Promise<{ o: Outlet; driver: JournaldDriver }> {
  const { delivery, rest } = splitDeliveryMode(opts);
  const driver = await journald.create(journald.parseOptions(rest), ctx(id, extra));
  assert.ok(driver instanceof JournaldDriver);
  return { o: new Outlet(driver, { delivery, batch: journald.batch, retry: journald.retry }), driver };
}

/** The messages the real framer makes of one line of n bytes (16 KiB chunks beyond that). */
function longLine(n: number): LogMessage[] {
  const f = new LineFramer('stdout', new StreamClock(new WallClock()));
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = 97 + (i % 26);
  return [...f.push(Buffer.concat([body, Buffer.from('\n')])), ...f.end()];
}

const text = (e: Record<string, unknown>, k: string) => e[k] as string;

describe('journald driver against a real systemd-journald', { skip }, () => {
  let j: TestJournal;
  before(async () => { j = await TestJournal.acquire(); });
  after(async () => { await j?.release(); });

  it('writes stdout at priority 6 and stderr at 3 with Docker\'s fields and the line\'s own time', async () => {
    const id = newId();
    const { o } = await outlet(id);
    const t = 1_700_000_000_123_456_789n;
    o.offer([message('stdout', t, Buffer.from('hello out')), message('stderr', t + 1n, Buffer.from('hello err'))]);
    await o.close();
    assert.equal(o.stats.sent, 2);
    const [out, err] = await j.waitEntries(id, 2);
    for (const [e, line, prio, time] of [[out!, 'hello out', '6', t], [err!, 'hello err', '3', t + 1n]] as const) {
      assert.equal(text(e, 'MESSAGE'), line);
      assert.equal(text(e, 'PRIORITY'), prio);
      assert.equal(text(e, 'CONTAINER_ID'), id.slice(0, 12));
      assert.equal(text(e, 'CONTAINER_ID_FULL'), id);
      assert.equal(text(e, 'CONTAINER_NAME'), 'jtest');
      assert.equal(text(e, 'CONTAINER_TAG'), id.slice(0, 12), 'the default tag is the short id');
      assert.equal(text(e, 'SYSLOG_IDENTIFIER'), id.slice(0, 12));
      assert.equal(text(e, 'SYSLOG_TIMESTAMP'), formatRFC3339Nano(time));
      assert.equal(e['CONTAINER_PARTIAL_MESSAGE'], undefined);
    }
    assert.equal(text(out!, 'CONTAINER_LOG_ORDINAL'), '1');
    assert.equal(text(err!, 'CONTAINER_LOG_ORDINAL'), '2');
  });

  it('a 40,000-byte line arrives as three partials with Docker\'s partial fields', async () => {
    const id = newId();
    const { o } = await outlet(id, { tag: '{{.Name}}/{{.ID}}' });
    const chunks = longLine(40_000);
    assert.equal(chunks.length, 3);
    o.offer(chunks);
    await o.close();
    const es = await j.waitEntries(id, 3);
    assert.deepEqual(es.map((e) => text(e, 'MESSAGE').length), [16384, 16384, 40_000 - 2 * 16384]);
    assert.equal(es.map((e) => text(e, 'MESSAGE')).join(''), Buffer.concat(chunks.map((c) => c.line)).toString());
    assert.deepEqual(es.map((e) => [e['CONTAINER_PARTIAL_ORDINAL'], e['CONTAINER_PARTIAL_LAST'], e['CONTAINER_PARTIAL_MESSAGE']]),
      [['1', 'false', 'true'], ['2', 'false', 'true'], ['3', 'true', undefined]]);
    assert.equal(new Set(es.map((e) => e['CONTAINER_PARTIAL_ID'])).size, 1);
    assert.equal(text(es[0]!, 'CONTAINER_PARTIAL_ID'), chunks[0]!.partial!.id);
    assert.equal(text(es[0]!, 'SYSLOG_IDENTIFIER'), `jtest/${id.slice(0, 12)}`);
  });

  it('a 1 MiB line: every chunk reaches the journal, none is dropped', async () => {
    const id = newId();
    const { o } = await outlet(id);
    const chunks = longLine(1 << 20);
    assert.ok(chunks.length >= 64, `${chunks.length} chunks`);
    o.offer(chunks);
    await o.close();
    assert.equal(o.stats.sent, chunks.length);
    const es = await j.waitEntries(id, chunks.length);
    assert.equal(es.length, chunks.length);
    const joined = es.map((e) => text(e, 'MESSAGE')).join('');
    assert.equal(joined.length, 1 << 20);
    assert.equal(joined, Buffer.concat(chunks.map((c) => c.line)).toString());
    assert.equal(text(es.at(-1)!, 'CONTAINER_PARTIAL_LAST'), 'true');
    assert.ok(es.slice(0, -1).every((e) => e['CONTAINER_PARTIAL_LAST'] === 'false'));
  });

  it('labels and env become fields with journal-safe names; env wins; the driver\'s own fields stay its own', async () => {
    const id = newId();
    const labels = { 'com.example.team': 'core', _hidden: 'x', 'multi-line': 'a\nb', message: 'not the line', skipped: 'no' };
    const env = ['TEAM_ENV=prod', 'com.example.team=from-env', 'OTHER=no'];
    const { o } = await outlet(id, { labels: 'com.example.team,_hidden,message', 'labels-regex': '^multi', env: 'TEAM_ENV', 'env-regex': '^com\\.' }, { labels, env });
    o.offer([message('stdout', 1n, Buffer.from('with attrs'))]);
    await o.close();
    const [e] = await j.waitEntries(id, 1);
    assert.equal(text(e!, 'COM_EXAMPLE_TEAM'), 'from-env');
    assert.equal(text(e!, 'HIDDEN'), 'x');
    assert.equal(text(e!, 'MULTI_LINE'), 'a\nb', 'a value with a newline goes in the binary field form');
    assert.equal(text(e!, 'TEAM_ENV'), 'prod');
    assert.equal(text(e!, 'MESSAGE'), 'with attrs');
    assert.equal(e!['SKIPPED'], undefined);
    assert.equal(e!['OTHER'], undefined);
  });

  it('an entry larger than a datagram (300 KiB of labels) goes as a sealed memfd, as the protocol allows', async () => {
    const id = newId();
    const big = 'v'.repeat(300 * 1024);
    const { o } = await outlet(id, { labels: 'big' }, { labels: { big } });
    o.offer([message('stdout', 7n, Buffer.from('small line, big fields')), message('stderr', 8n, Buffer.from('second'))]);
    await o.close();
    assert.equal(o.stats.sent, 2);
    const es = await j.waitEntries(id, 2);
    assert.deepEqual(es.map((e) => e['MESSAGE']), ['small line, big fields', 'second']);
    assert.equal((es[0]!['BIG'] as string).length, big.length);
    assert.equal(es[1]!['PRIORITY'], '3');
  });

  it('a full journald socket holds the workload back; nothing is lost (blocking mode)', { skip: false }, async (t) => {
    const id = newId();
    const resume = j.pause();
    if (!resume) return t.skip('the machine\'s own journald is never paused');
    let offered = 0;
    let o: Outlet | undefined;
    try {
      ({ o } = await outlet(id));
      const lines = Array.from({ length: 3000 }, (_, i) => message('stdout', BigInt(i + 1), Buffer.from(`bp-${i}`)));
      for (let i = 0; i < lines.length; i += 100) { o.offer(lines.slice(i, i + 100)); offered += 100; }
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(o.stats.sent < 3000, 'journald does not read: the socket queue fills and the outlet holds the rest');
    } finally {
      resume();
    }
    await o!.close(30_000);
    assert.equal(o!.stats.sent, offered);
    assert.deepEqual(Object.values(o!.stats.dropped).reduce((a, b) => a + b, 0), 0);
    const es = await j.waitEntries(id, offered, 30_000);
    assert.deepEqual(es.map((e) => e['MESSAGE']), Array.from({ length: offered }, (_, i) => `bp-${i}`));
  });

  it('options: Docker\'s message for an unknown key, journald-require, bad values named', () => {
    assert.throws(() => journald.parseOptions({ 'max-size': '1m' }), /^OptionError: unknown log opt 'max-size' for journald log driver$/);
    assert.throws(() => journald.parseOptions({ 'journald-require': 'maybe' }), /journald-require: expected true or false/);
    assert.throws(() => journald.parseOptions({ 'labels-regex': '(' }), /labels-regex/);
    assert.throws(() => journald.parseOptions({ 'journald-socket': 'relative' }), /journald-socket: expected an absolute path/);
    assert.throws(() => journald.parseOptions({ 'journald-socket': `/${'s'.repeat(107)}` }), /journald-socket: a unix socket path is at most 107 bytes/);
    assert.throws(() => journald.parseOptions({ tag: '{{.Bogus}}' }), /tag/);
    assert.equal(journald.parseOptions({}).require, true);
  });

  it('no journald socket: create refuses with a clear message; journald-require=false falls back to the local cache', async () => {
    const missing = path.join(os.tmpdir(), `corral-no-journal-${process.pid}.sock`);
    await assert.rejects(journald.create(journald.parseOptions({ 'journald-socket': missing }), ctx(newId())),
      /journald is not running on this host \(connect .*: ENOENT\): start systemd-journald, or use --log-opt journald-require=false/);
    const c = ctx(newId());
    const warned = new Promise<string>((r) => process.once('warning', (w) => r(w.message)));
    const d = await journald.create(journald.parseOptions({ 'journald-socket': missing, 'journald-require': 'false' }), c);
    assert.ok(d instanceof JsonFileDriver);
    assert.match(await warned, /local cache \(journald-require=false\)/);
    const o = new Outlet(d, { delivery: splitDeliveryMode({}).delivery, batch: journald.batch });
    o.offer([message('stdout', 5n, Buffer.from('kept locally'))]);
    await o.close();
    assert.match(fs.readFileSync(path.join(c.logDir, `${c.id}-json.log`), 'utf8'), /"log":"kept locally\\n"/);
  });
});

describe('journal reader (journalctl) against a real systemd-journald', { skip }, () => {
  let j: TestJournal;
  before(async () => { j = await TestJournal.acquire(); });
  after(async () => { await j?.release(); });

  const T0 = 1_714_557_600_000_000_000n;
  const msgs = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return message(i % 3 === 2 ? 'stderr' : 'stdout', T0 + BigInt(i) * 1_000_000_007n, Buffer.from(`${i} line é\t\x01`));
  });
  const show = (ms: readonly LogMessage[]) => ms.map((m) => `${m.stream} ${m.time} ${JSON.stringify(m.line.toString())}${endsLine(m) ? '' : ' (chunk)'}`);
  /** Follows the workload's journal in the background, once the first `n` entries have been read. */
  async function followUntil(id: string, driver: JournaldDriver, n: number): Promise<{ got: LogMessage[]; reading: Promise<void> }> {
    const got: LogMessage[] = [];
    const reading = (async () => {
      for await (const m of openJournalReader({ id, ended: driver.ended }).read({ follow: true }, AbortSignal.timeout(20_000))) got.push(m);
    })();
    const end = Date.now() + 15_000;
    while (got.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return { got, reading };
  }
  async function readAll(id: string, o: Partial<ReadOptions> = {}): Promise<LogMessage[]> {
    const out: LogMessage[] = [];
    for await (const m of openJournalReader({ id }).read({ follow: false, ...o }, AbortSignal.timeout(15_000))) out.push(m);
    return out;
  }

  it('history, tail and since/until to the nanosecond on the line\'s own time', async () => {
    const id = newId();
    const { o } = await outlet(id, { labels: 'zone' }, { labels: { zone: 'a' } });
    const all = msgs(0, 30);
    o.offer(all);
    await o.close();
    await j.waitEntries(id, 30);
    const got = await readAll(id);
    assert.deepEqual(show(got), show(all));
    assert.deepEqual({ ...got[0]!.attrs }, { ZONE: 'a' });
    for (const n of [1, 10, 30, 31]) assert.deepEqual(show(await readAll(id, { tail: n })), show(all.slice(-n)), `tail ${n}`);
    assert.deepEqual(await readAll(id, { tail: 0 }), []);
    const t = (k: number) => all[k]!.time;
    for (const k of [0, 7, 29]) {
      assert.deepEqual(show(await readAll(id, { since: t(k) })), show(all.slice(k)), `since ${k}`);
      assert.deepEqual(show(await readAll(id, { since: t(k) + 1n })), show(all.slice(k + 1)), `since 1 ns after ${k}`);
      assert.deepEqual(show(await readAll(id, { until: t(k) })), show(all.slice(0, k + 1)), `until ${k}`);
      assert.deepEqual(show(await readAll(id, { until: t(k) - 1n })), show(all.slice(0, k)), `until 1 ns before ${k}`);
    }
    assert.deepEqual(show(await readAll(id, { since: t(5), until: t(20), tail: 3 })), show(all.slice(18, 21)), 'tail inside since..until');
  });

  it('partials come back as chunks that join into the line', async () => {
    const id = newId();
    const { o } = await outlet(id);
    const chunks = longLine(40_000);
    o.offer(chunks);
    await o.close();
    await j.waitEntries(id, 3);
    const got = await readAll(id);
    assert.deepEqual(got.map((m) => [m.partial?.ordinal, endsLine(m)]), [[1, false], [2, false], [3, true]]);
    assert.equal(Buffer.concat(got.map((m) => m.line)).length, 40_000);
  });

  it('follow: history, then new lines, and the end once the writer closed and the journal has its last entry', async () => {
    const id = newId();
    const { o, driver } = await outlet(id);
    o.offer(msgs(0, 5));
    await j.waitEntries(id, 5);
    const { got, reading } = await followUntil(id, driver, 5);
    o.offer(msgs(5, 12));
    await o.close();
    await reading;
    assert.deepEqual(show(got), show(msgs(0, 12)));
  });

  it('follow carries on across a journal file rotation', async (t) => {
    const id = newId();
    const { o, driver } = await outlet(id);
    o.offer(msgs(0, 3));
    await j.waitEntries(id, 3);
    const { got, reading } = await followUntil(id, driver, 3);
    if (!(await j.rotate())) { await o.close(); await reading; return t.skip('the machine\'s own journald is not rotated by tests'); }
    o.offer(msgs(3, 6));
    await j.waitEntries(id, 6);
    assert.ok(await j.rotate());
    o.offer(msgs(6, 9));
    await o.close();
    await reading;
    assert.deepEqual(show(got), show(msgs(0, 9)));
  });

  it('follow with until: history up to until, then the end at the first entry after it (or at once when until is past)', async () => {
    const id = newId();
    const { o, driver } = await outlet(id);
    const future = 4_102_444_800_000_000_000n; // 2100-01-01: until is still ahead of the clock
    const at = (i: number) => message('stdout', future + BigInt(i) * 1_000_000n, Buffer.from(`u${i}`));
    o.offer([0, 1, 2].map(at));
    await j.waitEntries(id, 3);
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of openJournalReader({ id, ended: driver.ended }).read({ follow: true, until: at(4).time }, AbortSignal.timeout(20_000))) got.push(m.line.toString());
    })();
    o.offer([3, 4, 5, 6].map(at));
    await reading;
    assert.deepEqual(got, ['u0', 'u1', 'u2', 'u3', 'u4']);
    const past: string[] = [];
    for await (const m of openJournalReader({ id, ended: driver.ended }).read({ follow: true, until: BigInt(Date.now() - 3_600_000) * 1_000_000n }, AbortSignal.timeout(20_000))) past.push(m.line.toString());
    assert.deepEqual(past, []);
    await o.close();
  });

  it('follow with tail 0 gives only new lines', async () => {
    const id = newId();
    const { o, driver } = await outlet(id);
    o.offer(msgs(0, 3));
    await j.waitEntries(id, 3);
    const got: LogMessage[] = [];
    const reading = (async () => {
      for await (const m of openJournalReader({ id, ended: driver.ended }).read({ follow: true, tail: 0 }, AbortSignal.timeout(20_000))) got.push(m);
    })();
    await new Promise((r) => setTimeout(r, 500)); // the follower's journalctl is up (it starts after the cursor)
    o.offer(msgs(3, 6));
    await o.close();
    await reading;
    assert.deepEqual(show(got), show(msgs(3, 6)));
  });
});
