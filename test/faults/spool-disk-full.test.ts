import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestAgent, eventually } from '../helpers/cli';
import { CAN_MOUNT, SmallDisk } from '../helpers/host';
import { PAD, droppedBy, inspectOf, lineNumber, sleep, tally } from '../helpers/paced';
import { FluentdPeer } from '../helpers/peers/fluentd';

/**
 * A full disk under a spool: spool-dir on a 256 KiB tmpfs mounted by the test, spool-max-size far
 * above it (1g, the default), the fluentd peer down while the workload writes more than fits. The
 * agent keeps running and says so (a log-spool-warning event and a line in its log, once per
 * episode, not once per failed write); the workload follows its mode: non-blocking drops what
 * the disk could not take and counts it (spool-full), blocking holds the workload and drops
 * nothing; once the peer is back every line is delivered or counted, none twice.
 */

const N = 3000; // ~300 KB of 100-byte lines: more than the 256 KiB disk holds

interface SpoolEvent { Action: string; Actor: { Attributes: Record<string, string> } }

async function withFullDisk(body: (agent: TestAgent, peer: FluentdPeer, spoolDir: string) => Promise<void>): Promise<void> {
  const disk = new SmallDisk('256k');
  disk.mount();
  let agent: TestAgent | undefined;
  let peer: FluentdPeer | undefined;
  try {
    peer = await FluentdPeer.start();
    await peer.down();
    agent = new TestAgent();
    await agent.start();
    try {
      await body(agent, peer, path.join(disk.dir, 'spool'));
    } catch (e) {
      let log = '';
      try { log = fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8').slice(-3000); } catch { /* none */ }
      throw new Error(`${(e as Error).message}\nagent.log ends:\n${log}`);
    }
  } finally {
    if (agent) {
      const ids = (await agent.run(['ps', '-a', '-q']).catch(() => ({ stdout: '' }))).stdout.trim().split('\n').filter(Boolean);
      if (ids.length) await agent.run(['rm', '-f', ...ids]).catch(() => undefined);
      await agent.stop();
    }
    await peer?.close();
    disk.unmount();
  }
}

async function runWriter(agent: TestAgent, peer: FluentdPeer, name: string, spoolDir: string, mode: string): Promise<string> {
  const written = path.join(agent.root, `written-${name}`);
  const opts = [`fluentd-address=${peer.address}`, 'fluentd-request-ack=true', 'fluentd-retry-wait=100ms', `tag=${name}`, `mode=${mode}`, ...(mode === 'non-blocking' ? ['max-buffer-size=4k'] : []), `spool-dir=${spoolDir}`];
  const r = await agent.run(['run', '-d', '--name', name, '--log-driver', 'fluentd', ...opts.flatMap((o) => ['--log-opt', o]),
    '--', 'sh', '-c', `seq -f "n%06.0f ${PAD}" 0 ${N - 1}; touch ${written}`]);
  assert.equal(r.code, 0, r.stderr);
  return written;
}

async function spoolWarnings(agent: TestAgent, name: string): Promise<string[]> {
  const r = await agent.run(['events', '--since', '10m', '--until', '0s', '--format', 'json', '--filter', `container=${name}`, '--filter', 'event=log-spool-warning']);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as SpoolEvent).Actor.Attributes['warning'] ?? '');
}

/** The disk is full: the agent said so (event and log line). */
async function warnedFull(agent: TestAgent, name: string): Promise<string[]> {
  return eventually('a log-spool-warning about the full disk', async () => {
    const w = await spoolWarnings(agent, name);
    return w.some((t) => /ENOSPC|no space/i.test(t)) && w;
  }, 250, 100);
}

describe('a full disk under the spool (spool-dir on a 256 KiB tmpfs)', { concurrency: true, skip: CAN_MOUNT ? false : 'needs root (mounts a small tmpfs)' }, () => {
  it('non-blocking: the agent runs on and warns once per episode; delivered + dropped(spool-full) = written, none twice', async () => {
    await withFullDisk(async (agent, peer, spoolDir) => {
      const written = await runWriter(agent, peer, 'nb', spoolDir, 'non-blocking');
      await eventually('the workload wrote everything and ended', async () => fs.existsSync(written) && !(await inspectOf(agent, 'nb')).running, 300, 100);
      const warnings = await warnedFull(agent, 'nb');
      // A smaller chunk can still fit the last page after a bigger one failed (a short episode): a few, not one per failed write.
      assert.ok(warnings.length <= 10, `once per episode, not once per failed write: ${warnings.join(' | ')}`);
      assert.match(fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8'), /fluentd: spool .*write failed/);
      assert.ok(agent.running, 'the agent keeps running');
      assert.equal((await agent.run(['ps'])).code, 0, 'and answers');

      await peer.up();
      const { stats } = await eventually('every line delivered or counted', async () => {
        const s = await inspectOf(agent, 'nb');
        return (s.stats.SentBy['fluentd'] ?? 0) + droppedBy(s.stats, 'fluentd') >= N && s;
      }, 600, 100);
      await sleep(300); // a duplicate would show up right behind
      const got = peer.events.filter((e) => e.tag === 'nb').map((e) => e.record['log']);
      const t = tally(got, N);
      const dropped = stats.Dropped['fluentd'] ?? {};
      assert.ok((dropped['spool-full'] ?? 0) > 0, `the full disk dropped lines, counted as spool-full: ${JSON.stringify(dropped)}`);
      assert.equal(t.duplicates, 0);
      assert.equal(t.distinct + droppedBy(stats, 'fluentd'), N, `delivered + dropped = written (${JSON.stringify(dropped)})`);
      assert.equal(stats.SentBy['fluentd'], t.distinct);
      const numbers = got.map((l) => lineNumber(l)!);
      assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'in order');
    });
  });

  it('blocking: the workload waits for room instead of losing lines; every line once, in order, when the peer is back', async () => {
    await withFullDisk(async (agent, peer, spoolDir) => {
      const written = await runWriter(agent, peer, 'blk', spoolDir, 'blocking');
      await warnedFull(agent, 'blk');
      await sleep(2500); // the held lines are retried every second: each retry fails the same way
      const warnings = await spoolWarnings(agent, 'blk');
      assert.equal(warnings.filter((t) => /write failed/.test(t)).length, 1, `once per episode, not once per retry: ${warnings.join(' | ')}`);
      assert.ok(agent.running, 'the agent keeps running');
      assert.equal((await agent.run(['ps'])).code, 0, 'and answers');

      await peer.up();
      await eventually('the workload wrote everything and ended', async () => fs.existsSync(written) && !(await inspectOf(agent, 'blk')).running, 600, 100);
      await eventually(`${N} lines at the peer`, async () => peer.events.filter((e) => e.tag === 'blk').length >= N, 600, 100);
      await sleep(300);
      const got = peer.events.filter((e) => e.tag === 'blk').map((e) => lineNumber(e.record['log']));
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => i), 'every line once, in order');
      const { stats } = await inspectOf(agent, 'blk');
      assert.equal(droppedBy(stats, 'fluentd'), 0, `nothing dropped: ${JSON.stringify(stats.Dropped)}`);
    });
  });
});
