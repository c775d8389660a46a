import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LogMessage, message } from '../../engine/logs/message';
import { splitDeliveryMode } from '../../engine/logs/mode';
import { Outlet } from '../../engine/logs/outlet';
import { JournaldDriver, journald } from '../../drivers/journald';
import { openJournalReader } from '../../drivers/journald/reader';
import { JournalSocket } from '../../drivers/journald/socket';
import { TestJournal, journaldInstalled } from '../helpers/peers/journald';

/**
 * `logs -f` of a journald workload across vacuuming: archived journal files are removed while a
 * follower reads. Vacuuming removes what other test files read, so this file holds the test
 * journald exclusively (it waits until the other journald test files are done with it).
 */

const skip = !journaldInstalled() ? 'systemd-journald is not installed (apt-get install systemd)'
  : !JournalSocket.supported() ? 'corral\'s native addon is not built (unix datagram sockets)' : false;

const newId = () => randomBytes(32).toString('hex');
const T0 = 1_714_557_600_000_000_000n;
const msgs = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => {
  const i = from + k;
  return message(i % 3 === 2 ? 'stderr' : 'stdout', T0 + BigInt(i) * 1_000_000_007n, Buffer.from(`v${i}`));
});
const show = (ms: readonly LogMessage[]) => ms.map((m) => `${m.stream} ${m.time} ${m.line.toString()}`);

async function outlet(id: string): Promise<{ o: Outlet; driver: JournaldDriver }> {
  const { delivery, rest } = splitDeliveryMode({});
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-journald-vacuum-'));
  const driver = await journald.create(journald.parseOptions(rest), { id, name: 'jvac', logDir, labels: {}, env: [], created: 0n, pid: () => 0 });
  assert.ok(driver instanceof JournaldDriver);
  return { o: new Outlet(driver, { delivery, batch: journald.batch, retry: journald.retry }), driver };
}

/** The pid of the follow's journalctl for a workload: a child of this process (the reader's). */
function followerPid(id: string, not?: number): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    const pid = Number(d);
    if (!pid || pid === not) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.includes('-f') && argv.includes(`CONTAINER_ID_FULL=${id}`)) return pid;
    } catch { /* gone meanwhile */ }
  }
  return undefined;
}

/** Waits (bounded) until check() holds. */
async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function readAll(id: string): Promise<LogMessage[]> {
  const out: LogMessage[] = [];
  for await (const m of openJournalReader({ id }).read({ follow: false }, AbortSignal.timeout(15_000))) out.push(m);
  return out;
}

describe('journald: follow across vacuuming (the test journald held exclusively)', { skip }, () => {
  let j: TestJournal | undefined;
  let why = '';
  before(async () => {
    const r = await TestJournal.acquireExclusive();
    if (typeof r === 'string') why = r;
    else j = r;
  });
  after(async () => { await j?.release(); });

  it('a follower gets every line once, in order, across rotations and vacuums, and ends; a plain read returns what is left', async (t) => {
    if (!j) return t.skip(why);
    const id = newId();
    const { o, driver } = await outlet(id);
    o.offer(msgs(0, 5));
    await j.waitEntries(id, 5);
    assert.ok(await j.rotate());
    o.offer(msgs(5, 10));
    await j.waitEntries(id, 10);

    // A follower that reads its history slowly: it takes the 10 lines there, then stops pulling.
    const follow = openJournalReader({ id, ended: driver.ended }).read({ follow: true }, AbortSignal.timeout(30_000))[Symbol.asyncIterator]();
    const got: LogMessage[] = [];
    while (got.length < 10) {
      const r = await follow.next();
      assert.ok(!r.done, `the follower ended after ${got.length} history lines`);
      got.push(r.value);
    }

    // Meanwhile the files holding the history, its last entry (the follower's cursor) too, are vacuumed.
    assert.ok(await j.rotate());
    const archived = j.files().filter((f) => f !== 'system.journal');
    assert.ok(archived.length >= 2, `two archived files after two rotations: ${j.files().join(', ')}`);
    assert.deepEqual(j.otherUsers(), [], 'no other test process uses the journal while this one holds it');
    const removed = j.vacuum();
    assert.deepEqual(removed.sort(), archived.sort(), 'vacuuming removed every archived file');
    assert.deepEqual(j.files(), ['system.journal']);
    assert.deepEqual(j.entries(id), [], 'none of the workload\'s entries is left in the journal');

    o.offer(msgs(10, 15));
    await j.waitEntries(id, 5);
    assert.deepEqual(show(await readAll(id)), show(msgs(10, 15)), 'a plain read returns what is still in the journal');

    // The follower goes on: it follows from a cursor whose entry is gone.
    const reading = (async () => {
      for (;;) {
        const r = await follow.next();
        if (r.done) return;
        got.push(r.value);
      }
    })();
    const end = Date.now() + 15_000;
    while (got.length < 15 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(show(got), show(msgs(0, 15)), 'after the first vacuum');

    // And a vacuum while the follower's journalctl -f runs, its current file among those removed.
    assert.ok(await j.rotate());
    assert.deepEqual(j.otherUsers(), []);
    const removedAgain = j.vacuum();
    assert.equal(removedAgain.length, 1, `the file rotated out was removed: ${removedAgain.join(', ')}`);
    o.offer(msgs(15, 20));
    await o.close();
    await reading;
    assert.deepEqual(show(got), show(msgs(0, 20)), 'every line once, in order; the follower ended after the writer\'s last line');
    assert.deepEqual(show(await readAll(id)), show(msgs(15, 20)));
  });

  it('a follower whose journalctl -f dies starts it again from its last entry, also when that entry was vacuumed', async (t) => {
    if (!j) return t.skip(why);
    const id = newId();
    const { o, driver } = await outlet(id);
    o.offer(msgs(0, 5));
    await j.waitEntries(id, 5);
    const got: LogMessage[] = [];
    const reading = (async () => {
      for await (const m of openJournalReader({ id, ended: driver.ended }).read({ follow: true }, AbortSignal.timeout(30_000))) got.push(m);
    })();
    await until(() => got.length >= 5, 'the follower read the history');
    let pid: number | undefined;
    await until(() => (pid = followerPid(id)) !== undefined, 'the follower\'s journalctl -f runs');
    process.kill(pid!, 'SIGKILL');
    o.offer(msgs(5, 10));
    await until(() => got.length >= 10, `the follower read 10 lines (it has ${got.length})`);

    // Again, once the file holding its last entry (its cursor) was vacuumed: it restarts from a cursor that is gone.
    const killed = pid!;
    await until(() => (pid = followerPid(id, killed)) !== undefined, 'the restarted journalctl -f runs');
    assert.ok(await j.rotate());
    assert.deepEqual(j.otherUsers(), []);
    assert.equal(j.vacuum().length, 1);
    assert.deepEqual(j.entries(id), []);
    process.kill(pid!, 'SIGKILL');
    o.offer(msgs(10, 15));
    await o.close();
    await reading;
    assert.deepEqual(show(got), show(msgs(0, 15)));
  });
});
