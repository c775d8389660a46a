import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findHolder } from '../../engine/workloads/holder';
import { TestAgent, eventually } from '../helpers/cli';
import { PAD, droppedBy, inspectOf, lineNumber, sleep, tally } from '../helpers/paced';
import { FluentdPeer } from '../helpers/peers/fluentd';

/**
 * The disk spool of a remote outlet (`spool-dir`), through the real agent, the real fluentd client
 * and a Forward-protocol peer that is down while the workload writes: lines beyond the 4k memory
 * buffer go to disk and arrive once, in order, when the peer is back, also across a kill -9 of the
 * agent (live restore keeps the workload) and past a torn spool tail.
 */

const N = 3000; // ~300 KB of numbered 100-byte lines: far more than the 4k memory buffer
const holderSkip = findHolder() ? false : 'the workload holder is not built (no C compiler when npm ci ran)';

/** Writes lines [0, n) at once, touches `written`; with a gate, waits for it and writes [n, n + more). */
function writer(n: number, written: string, gate?: { path: string; more: number }): string[] {
  const rest = gate ? `while [ ! -e ${gate.path} ]; do sleep 0.05; done; seq -f "n%06.0f ${PAD}" ${n} ${n + gate.more - 1}` : 'true';
  return ['sh', '-c', `seq -f "n%06.0f ${PAD}" 0 ${n - 1}; touch ${written}; ${rest}`];
}

function fluentdOpts(peer: FluentdPeer, tag: string, ...extra: string[]): string[] {
  return ['--log-driver', 'fluentd', ...[`fluentd-address=${peer.address}`, 'fluentd-request-ack=true', 'fluentd-retry-wait=100ms',
    `tag=${tag}`, 'mode=non-blocking', 'max-buffer-size=4k', ...extra].flatMap((o) => ['--log-opt', o])];
}

const numbersAt = (peer: FluentdPeer, tag: string) => peer.events.filter((e) => e.tag === tag).map((e) => lineNumber(e.record['log']) ?? -1);

function segmentsUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.seg')) out.push(path.join(d, e.name));
    }
  };
  try { walk(dir); } catch { /* not made yet */ }
  return out.sort();
}

/** Waits (bounded) until the peer holds `count` lines of tag. */
async function arrived(peer: FluentdPeer, tag: string, count: number): Promise<number[]> {
  await eventually(`${count} lines of ${tag} at the peer (has ${numbersAt(peer, tag).length})`, async () => numbersAt(peer, tag).length >= count, 600, 100);
  await sleep(300); // a duplicate would show up right behind
  return numbersAt(peer, tag);
}

async function withAgentAndPeer(body: (agent: TestAgent, peer: FluentdPeer) => Promise<void>, agentArgs: string[] = []): Promise<void> {
  const peer = await FluentdPeer.start();
  await peer.down(); // the server is down from the start; up() listens on the same port again
  const agent = new TestAgent(undefined, 'off', agentArgs);
  await agent.start();
  try {
    await body(agent, peer);
  } catch (e) {
    let log = '';
    try { log = fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8').slice(-3000); } catch { /* none */ }
    throw new Error(`${(e as Error).message}\nagent.log ends:\n${log}`);
  } finally {
    if (!agent.running) await agent.start().catch(() => undefined);
    const ids = (await agent.run(['ps', '-a', '-q']).catch(() => ({ stdout: '' }))).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await agent.run(['rm', '-f', ...ids]).catch(() => undefined);
    await agent.stop();
    await peer.close();
  }
}

describe('disk spool per remote outlet (spool-dir)', { concurrency: true }, () => {
  it('server down, more lines than the memory buffer holds: on disk, then every line once and in order when it is back', async () => {
    await withAgentAndPeer(async (agent, peer) => {
      const written = path.join(agent.root, 'written');
      const r = await agent.run(['run', '-d', '--name', 'sp', ...fluentdOpts(peer, 'sp', 'spool-dir=default'), '--', ...writer(N, written)]);
      assert.equal(r.code, 0, r.stderr);
      await eventually('the workload wrote everything and ended', async () => fs.existsSync(written) && !(await inspectOf(agent, 'sp')).running, 250, 100);
      assert.ok(segmentsUnder(path.join(agent.root, 'spool')).length > 0, 'spool-dir=default: <data-root>/spool/<id>/fluentd/');
      await peer.up();
      const got = await arrived(peer, 'sp', N);
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => i), 'every line once, in order');
      const { stats } = await eventually('sent counted', async () => { const s = await inspectOf(agent, 'sp'); return s.stats.SentBy['fluentd'] === N && s; }, 100, 100);
      assert.equal(droppedBy(stats, 'fluentd'), 0);
      await eventually('the spool files are deleted once sent', async () => segmentsUnder(path.join(agent.root, 'spool')).length === 0, 100, 100);
    });
  });

  it('blocking mode: the workload does not wait on the dead server while the spool has room; every line once, in order', async () => {
    await withAgentAndPeer(async (agent, peer) => {
      const written = path.join(agent.root, 'written');
      const n = 30_000; // 3 MB: three times what blocking mode holds in memory before it stops the pipe
      const opts = ['--log-driver', 'fluentd', ...[`fluentd-address=${peer.address}`, 'fluentd-request-ack=true', 'fluentd-retry-wait=100ms', 'tag=blk',
        `spool-dir=${path.join(agent.root, 'blk')}`].flatMap((o) => ['--log-opt', o])];
      const r = await agent.run(['run', '-d', '--name', 'blk', ...opts, '--', ...writer(n, written)]);
      assert.equal(r.code, 0, r.stderr);
      await eventually('the workload wrote everything and ended, the server still down', async () => fs.existsSync(written) && !(await inspectOf(agent, 'blk')).running, 300, 100);
      assert.equal(numbersAt(peer, 'blk').length, 0);
      await peer.up();
      const got = await arrived(peer, 'blk', n);
      assert.deepEqual(got, Array.from({ length: n }, (_, i) => i), 'every line once, in order');
    });
  });

  it('kill -9 of the agent while lines sit in the spool: the next agent sends them first, then the rest (live restore)', { skip: holderSkip }, async () => {
    await withAgentAndPeer(async (agent, peer) => {
      const written = path.join(agent.root, 'written');
      const gate = path.join(agent.root, 'gate');
      const spoolDir = path.join(agent.root, 'my-spool');
      const r = await agent.run(['run', '-d', '--name', 'k9', ...fluentdOpts(peer, 'k9', `spool-dir=${spoolDir}`), '--', ...writer(N, written, { path: gate, more: 500 })]);
      assert.equal(r.code, 0, r.stderr);
      await eventually('the workload wrote everything', async () => fs.existsSync(written), 250, 100);
      // Every line read and on disk (112 bytes a line in a record): a kill in the middle of a read
      // would cut the line at the read's end in two, which is the framer's loss, not the spool's.
      await eventually('every line on disk', async () => segmentsUnder(spoolDir).reduce((n, f) => n + fs.statSync(f).size, 0) >= N * 112, 300, 100);
      await agent.stopAgent('SIGKILL');
      await agent.start();
      fs.writeFileSync(gate, ''); // 500 more lines, behind the spooled ones
      await peer.up();
      const got = await arrived(peer, 'k9', N + 500);
      assert.deepEqual(got, Array.from({ length: N + 500 }, (_, i) => i), 'every line once, in order, across the crash');
      assert.equal((await agent.run(['wait', 'k9'])).stdout.trim(), '0');
    });
  });

  it('a torn spool tail: the agent starts, warns, and delivers the intact records in order (workload no longer running)', async () => {
    await withAgentAndPeer(async (agent, peer) => {
      const written = path.join(agent.root, 'written');
      const spoolDir = path.join(agent.root, 'torn');
      const r = await agent.run(['run', '-d', '--name', 'torn', ...fluentdOpts(peer, 'torn', `spool-dir=${spoolDir}`), '--', ...writer(N, written)]);
      assert.equal(r.code, 0, r.stderr);
      await eventually('the workload wrote everything and ended', async () => fs.existsSync(written) && !(await inspectOf(agent, 'torn')).running, 250, 100);
      await agent.stopAgent('SIGKILL');
      const segs = segmentsUnder(spoolDir);
      assert.ok(segs.length > 0);
      const last = segs.at(-1)!;
      fs.truncateSync(last, fs.statSync(last).size - 10); // the last write was cut by a crash
      fs.appendFileSync(last, Buffer.from('\x07\x00\x00'));
      await agent.start();
      await peer.up();
      await eventually('the warning', async () => /torn or corrupt tail/.test(fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8')), 100, 100);
      // The last record (up to ~32 KiB of lines) is gone; everything before it arrives.
      await eventually('the intact records arrived', async () => numbersAt(peer, 'torn').length >= N - 400, 600, 100);
      await sleep(500);
      const got = numbersAt(peer, 'torn');
      assert.ok(got.length < N, 'the torn record is not sent');
      assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i), 'the intact lines once, in order');
    });
  });

  it('spool full, non-blocking: delivered + dropped(spool-full) = written, and nothing twice', async () => {
    await withAgentAndPeer(async (agent, peer) => {
      const written = path.join(agent.root, 'written');
      const spoolDir = path.join(agent.root, 'small');
      const r = await agent.run(['run', '-d', '--name', 'full', ...fluentdOpts(peer, 'full', `spool-dir=${spoolDir}`, 'spool-max-size=100k'), '--', ...writer(N, written)]);
      assert.equal(r.code, 0, r.stderr);
      await eventually('the workload wrote everything and ended', async () => fs.existsSync(written) && !(await inspectOf(agent, 'full')).running, 250, 100);
      await peer.up();
      const { stats } = await eventually('every line accounted for', async () => {
        const s = await inspectOf(agent, 'full');
        return (s.stats.SentBy['fluentd'] ?? 0) + droppedBy(s.stats, 'fluentd') >= N && s;
      }, 600, 100);
      await sleep(300);
      const t = tally(peer.events.filter((e) => e.tag === 'full').map((e) => e.record['log']), N);
      const dropped = stats.Dropped['fluentd'] ?? {};
      assert.ok((dropped['spool-full'] ?? 0) > 0, `the spool filled up: ${JSON.stringify(dropped)}`);
      assert.equal(t.duplicates, 0);
      assert.equal(t.distinct + droppedBy(stats, 'fluentd'), N, `delivered + dropped = written (${JSON.stringify(dropped)})`);
      assert.equal(stats.SentBy['fluentd'], t.distinct);
    });
  });

  it('a removed workload: what it left in the spool is sent by the next agent (stopped with SIGTERM), from the config kept with it', async () => {
    await withAgentAndPeer(async (agent, peer) => {
      const written = path.join(agent.root, 'written');
      const spoolDir = path.join(agent.root, 'gone');
      const r = await agent.run(['run', '-d', '--name', 'gone', ...fluentdOpts(peer, 'gone', `spool-dir=${spoolDir}`), '--', ...writer(N, written)]);
      assert.equal(r.code, 0, r.stderr);
      await eventually('the workload wrote everything and ended', async () => fs.existsSync(written) && !(await inspectOf(agent, 'gone')).running, 250, 100);
      assert.equal((await agent.run(['rm', 'gone'])).code, 0);
      await agent.stopAgent(); // SIGTERM: the shutdown gives up on the server; the lines stay on disk
      assert.ok(segmentsUnder(spoolDir).length > 0, 'still on disk');
      await agent.start();
      await peer.up();
      const got = await arrived(peer, 'gone', N);
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => i), 'every line once, in order');
      await eventually('the spool folder is gone once sent', async () => !fs.existsSync(spoolDir) || fs.readdirSync(spoolDir).length === 0, 100, 100);
    });
  });

  it('refuses spool options a driver cannot use, naming the key', async () => {
    const agent = new TestAgent();
    await agent.start();
    try {
      const jf = await agent.run(['run', '-d', '--log-opt', 'spool-dir=/tmp/x', '--', 'true']);
      assert.notEqual(jf.code, 0);
      assert.match(jf.stderr, /spool-dir is only supported by remote log drivers/);
      const rel = await agent.run(['run', '-d', '--log-driver', 'fluentd', '--log-opt', 'fluentd-address=127.0.0.1:1', '--log-opt', 'spool-dir=relative/dir', '--', 'true']);
      assert.match(rel.stderr, /invalid value "relative\/dir" for log opt spool-dir: expected an absolute path/);
      const size = await agent.run(['run', '-d', '--log-driver', 'fluentd', '--log-opt', 'fluentd-address=127.0.0.1:1', '--log-opt', 'spool-dir=default', '--log-opt', 'spool-max-size=lots', '--', 'true']);
      assert.match(size.stderr, /invalid value "lots" for log opt spool-max-size/);
    } finally {
      await agent.stop();
    }
  });
});
