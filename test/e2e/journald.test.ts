import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalSocket } from '../../drivers/journald/socket';
import { BIN, TestAgent, eventually } from '../helpers/cli';
import { TestJournal, journaldInstalled } from '../helpers/peers/journald';

const skip = !journaldInstalled() ? 'systemd-journald is not installed (apt-get install systemd)'
  : !JournalSocket.supported() ? 'corral\'s native addon is not built (unix datagram sockets)' : false;

describe('corral run --log-driver journald', { skip }, () => {
  const agent = new TestAgent();
  let j: TestJournal;
  before(async () => {
    j = await TestJournal.acquire();
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    await j?.release();
  });

  it('writes each line to the journal with Docker\'s fields; logs reads the journal back with --tail and --since', async () => {
    const r = await agent.run(['run', '-d', '--name', 'jd', '--log-driver', 'journald', '--label', 'tier=web', '--log-opt', 'labels=tier',
      '--', 'sh', '-c', 'i=1; while [ $i -le 5 ]; do echo "line-$i"; i=$((i+1)); sleep 0.05; done; echo oops >&2']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.equal((await agent.run(['wait', 'jd'])).code, 0);
    const es = await j.waitEntries(id, 6);
    const out = es.filter((e) => e['PRIORITY'] === '6');
    assert.deepEqual(out.map((e) => e['MESSAGE']), ['line-1', 'line-2', 'line-3', 'line-4', 'line-5']);
    const err = es.find((e) => e['PRIORITY'] === '3');
    assert.equal(err?.['MESSAGE'], 'oops');
    for (const e of es) {
      assert.equal(e['CONTAINER_NAME'], 'jd');
      assert.equal(e['CONTAINER_ID'], id.slice(0, 12));
      assert.equal(e['SYSLOG_IDENTIFIER'], id.slice(0, 12));
      assert.equal(e['TIER'], 'web');
    }
    assert.ok(!fs.existsSync(path.join(agent.root, 'containers', id, `${id}-json.log`)), 'no local cache: the journal is the log');

    const all = await agent.run(['logs', 'jd']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, 'line-1\nline-2\nline-3\nline-4\nline-5\n');
    assert.equal(all.stderr, 'oops\n');
    const stamped = (await agent.run(['logs', '-t', 'jd'])).stdout.trimEnd().split('\n');
    assert.equal(stamped.length, 5);
    // The time is the line's own (SYSLOG_TIMESTAMP), to the ns, as logs -t prints it.
    const third = stamped[2]!.split(' ')[0]!;
    assert.match(third, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.equal(third, `${(es[2]!['SYSLOG_TIMESTAMP'] as string).replace(/Z$/, '').padEnd(29, '0')}Z`);
    assert.equal((await agent.run(['logs', '--since', third, 'jd'])).stdout, 'line-3\nline-4\nline-5\n');
    const tail = await agent.run(['logs', '--tail', '2', 'jd']);
    assert.deepEqual([tail.stdout, tail.stderr], ['line-5\n', 'oops\n']);
  });

  it('a 40,000-byte line goes as three partials and logs joins it back', async () => {
    const r = await agent.run(['run', '--name', 'jlong', '--log-driver', 'journald', '--', 'sh', '-c', "head -c 40000 /dev/zero | tr '\\0' a; echo; echo after"]);
    assert.equal(r.code, 0, r.stderr);
    const [{ Id: id, LogPath: logPath }] = JSON.parse((await agent.run(['inspect', 'jlong'])).stdout) as { Id: string; LogPath: string }[];
    assert.equal(logPath, '', 'no local log file, as Docker shows for journald');
    const es = await j.waitEntries(id!, 4);
    assert.deepEqual(es.map((e) => [(e['MESSAGE'] as string).length, e['CONTAINER_PARTIAL_ORDINAL'], e['CONTAINER_PARTIAL_LAST']]),
      [[16384, '1', 'false'], [16384, '2', 'false'], [40_000 - 2 * 16384, '3', 'true'], [5, undefined, undefined]]);
    assert.equal((await agent.run(['logs', 'jlong'])).stdout, `${'a'.repeat(40_000)}\nafter\n`);
  });

  it('-f prints the history and new lines from the journal, and ends when the workload stops', async () => {
    const go = path.join(agent.root, 'go-journald');
    const r = await agent.run(['run', '-d', '--name', 'jfollow', '--log-driver', 'journald',
      '--', 'sh', '-c', `echo first; while [ ! -e ${go} ]; do sleep 0.05; done; i=0; while [ $i -lt 200 ]; do echo "n $i"; i=$((i+1)); done`]);
    assert.equal(r.code, 0, r.stderr);
    await eventually('first line', async () => (await agent.run(['logs', 'jfollow'])).stdout === 'first\n');
    const f = spawn(process.execPath, [BIN, '--data-root', agent.root, 'logs', '-f', 'jfollow'], { env: { ...process.env, CORRAL_NO_AUTOSTART: '1' } });
    let out = '';
    f.stdout.on('data', (d) => (out += d));
    const closed = new Promise<number>((resolve) => f.on('close', (c) => resolve(c ?? -1)));
    try {
      await eventually('history printed', async () => out === 'first\n');
      fs.writeFileSync(go, '');
      const code = await Promise.race([closed, new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`logs -f did not end; got ${out.length} bytes`)), 30_000).unref())]);
      assert.equal(code, 0);
    } finally {
      f.kill();
    }
    assert.deepEqual(out.trimEnd().split('\n'), ['first', ...Array.from({ length: 200 }, (_, i) => `n ${i}`)]);
  });

  it('no journald socket: run fails saying so; journald-require=false runs with the local cache, which logs then reads', async () => {
    const missing = path.join(agent.root, 'no-journal.sock');
    const refused = await agent.run(['run', '--name', 'nojd', '--log-driver', 'journald', '--log-opt', `journald-socket=${missing}`, '--', 'echo', 'x']);
    assert.equal(refused.code, 125, refused.stdout);
    assert.match(refused.stderr, /journald is not running on this host .*journald-require=false/);
    const r = await agent.run(['run', '--name', 'fallback', '--log-driver', 'journald', '--log-opt', `journald-socket=${missing}`, '--log-opt', 'journald-require=false', '--', 'echo', 'kept']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await agent.run(['logs', 'fallback'])).stdout, 'kept\n');
    assert.match(fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8'), /fallback: journald is not running on this host .*local cache \(journald-require=false\)/);
  });

  it('an unknown log opt is refused with Docker\'s message', async () => {
    const r = await agent.run(['run', '--log-driver', 'journald', '--log-opt', 'max-size=1m', '--', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /unknown log opt 'max-size' for journald log driver/);
  });
});
