import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalSocket } from '../../drivers/journald/socket';
import { TestAgent, eventually } from '../helpers/cli';
import { inspectOf } from '../helpers/paced';

/**
 * journald without a systemd-journald: what `create`/`run` refuse before anything exists (a bad
 * tag, no journal socket), a journal socket that is bound but never read (stop/rm are not held by
 * it), and honest accounting when journald-require=false falls back to the local cache.
 */
const skip = !JournalSocket.supported() ? 'corral\'s native addon is not built (unix datagram sockets)'
  : spawnSync('python3', ['-c', '1']).status !== 0 ? 'python3 is needed to bind a journal socket nobody reads' : false;

describe('journald: refusals at create, a journal that does not read, the cache fallback', { skip }, () => {
  const agent = new TestAgent();
  let stuck: ChildProcess | undefined;
  before(async () => { await agent.start(); });
  after(async () => {
    stuck?.kill('SIGKILL');
    await agent.stop();
  });

  const names = async () => (await agent.run(['ps', '-a', '--format', '{{.Names}}'])).stdout.trim().split('\n').filter(Boolean);

  it('a bad tag template is refused by create and run (journald, json-file), with nothing created', async () => {
    for (const driver of ['journald', 'json-file']) {
      const created = await agent.run(['create', '--name', `badtag-${driver}`, '--log-driver', driver, '--log-opt', 'tag={{.Bogus}}', '--', 'true']);
      assert.equal(created.code, 125, `${driver}: ${created.stdout}`);
      assert.match(created.stderr, /invalid value "\{\{\.Bogus\}\}" for log opt tag: unknown field \.Bogus/);
      const run = await agent.run(['run', '--rm', '--name', `badtag-run-${driver}`, '--log-driver', driver, '--log-opt', 'tag={{.Bogus}}', '--', 'true']);
      assert.equal(run.code, 125, run.stdout);
    }
    assert.deepEqual(await names(), [], 'no workload left behind');
  });

  it('no journal socket: create and run refuse with nothing created; journald-require=false creates', async () => {
    const missing = path.join(agent.root, 'none.sock');
    const created = await agent.run(['create', '--name', 'nosock', '--log-driver', 'journald', '--log-opt', `journald-socket=${missing}`, '--', 'true']);
    assert.equal(created.code, 125, created.stdout);
    assert.match(created.stderr, /journald is not running on this host .*journald-require=false/);
    const run = await agent.run(['run', '--rm', '--name', 'nosock-run', '--log-driver', 'journald', '--log-opt', `journald-socket=${missing}`, '--', 'echo', 'hi']);
    assert.equal(run.code, 125, run.stdout);
    assert.deepEqual(await names(), [], 'no workload left behind');
    const lax = await agent.run(['create', '--name', 'nosock-lax', '--log-driver', 'journald', '--log-opt', `journald-socket=${missing}`, '--log-opt', 'journald-require=false', '--', 'true']);
    assert.equal(lax.code, 0, lax.stderr);
    assert.equal((await agent.run(['rm', 'nosock-lax'])).code, 0);
  });

  it('journald-require=false without journald: the lines are counted as sent to the cache, not to journald', async () => {
    const missing = path.join(agent.root, 'none.sock');
    const r = await agent.run(['run', '--name', 'fallback', '--log-driver', 'journald', '--log-opt', `journald-socket=${missing}`, '--log-opt', 'journald-require=false', '--', 'echo', 'kept']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await agent.run(['logs', 'fallback'])).stdout, 'kept\n');
    const { stats } = await inspectOf(agent, 'fallback');
    // Sent is the workload's (first) driver's count: journald got none of them.
    assert.deepEqual([stats.Sent, stats.SentBy], [0, { cache: 1 }], JSON.stringify(stats));
    assert.equal((await agent.run(['rm', 'fallback'])).code, 0);
  });

  it('a journal socket nobody reads holds neither stop nor rm: the lines drain in the background', async () => {
    const sock = path.join(agent.root, 'stuck.sock');
    stuck = spawn('python3', ['-c', `import socket,time;s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM);s.bind(${JSON.stringify(sock)});time.sleep(600)`], { stdio: 'ignore' });
    await eventually('the stuck socket is bound', async () => fs.existsSync(sock));
    const r = await agent.run(['run', '-d', '--name', 'jstuck', '--log-driver', 'journald', '--log-opt', `journald-socket=${sock}`,
      '--', 'sh', '-c', 'seq 2000; sleep 600']);
    assert.equal(r.code, 0, r.stderr);
    // Its sends fail (the queue stays full), so the workload is blocked on its pipe (mode=blocking).
    await eventually('journald refusing lines', async () => fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8').includes('journald is not keeping up'), 250, 40);
    const stop = await agent.run(['stop', '-t', '1', 'jstuck']);
    assert.equal(stop.code, 0, stop.stderr);
    // stop returned before the outlet's close gave up on the lines (10 s, then counted as closed):
    // they are still queued, draining in the background as a remote driver's would.
    const s = await inspectOf(agent, 'jstuck');
    assert.equal(s.running, false);
    assert.equal(s.stats.Dropped['journald']?.['closed'], 0, JSON.stringify(s.stats));
    const rm = await agent.run(['rm', 'jstuck']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(await names(), []);
  });
});
