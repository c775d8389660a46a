import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { humanBytes } from '../../agent/stats';
import { TestAgent, eventually } from '../helpers/cli';
import { PAD, lineNumber, sleep } from '../helpers/paced';
import { FluentdPeer } from '../helpers/peers/fluentd';

/**
 * `system df` and `system prune` with log spools, through the real CLI and agent: a fluentd peer
 * that is down keeps lines in the spools of a running workload, a stopped one and a removed one.
 * df reports each workload's spool bytes and the removed one's leftover spool (by path with -v),
 * as the files on disk say; prune leaves the spools of removed workloads (unsent lines) and says
 * so; prune --spools deletes them, reports what it reclaimed, and leaves running workloads' spools.
 */

const N = 2000; // 100-byte lines, ~200 KB: far beyond the 4k memory buffer

interface DfJson {
  Workloads: { Id: string; Name: string; State: string; LogBytes: number; SpoolBytes: number }[];
  SpoolBytes: number;
  LeftoverSpools: { Count: number; Bytes: number; Spools: { Path: string; Id: string; Driver: string; Bytes: number }[] };
}

/** Bytes of the files in a spool folder (segments, read position, meta.json); 0 when it is gone. */
function folderBytes(dir: string): number {
  try { return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0); } catch { return 0; }
}

const segments = (dir: string) => { try { return fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).length; } catch { return 0; } };

describe('system df / prune with log spools', () => {
  it('df counts spool bytes per workload and leftover spools; prune keeps unsent lines unless --spools', async () => {
    const peer = await FluentdPeer.start();
    await peer.down(); // lines spool from the first one
    const agent = new TestAgent();
    await agent.start();
    try {
      const run = async (name: string, spoolDir: string, tail: string) => {
        const opts = [`fluentd-address=${peer.address}`, 'fluentd-retry-wait=100ms', `tag=${name}`, 'mode=non-blocking', 'max-buffer-size=4k', `spool-dir=${spoolDir}`];
        const r = await agent.run(['run', '-d', '--name', name, '--log-driver', 'fluentd', ...opts.flatMap((o) => ['--log-opt', o]),
          '--', 'sh', '-c', `seq -f "n%06.0f ${PAD}" 0 ${N - 1}; ${tail}`]);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.trim();
      };
      const custom = path.join(agent.root, 'custom-spool');
      const live = await run('live', 'default', 'exec sleep 600');
      const stopped = await run('stopped', 'default', 'true');
      const gone = await run('gone', custom, 'true');
      const dirs = {
        live: path.join(agent.root, 'spool', live, 'fluentd'),
        stopped: path.join(agent.root, 'spool', stopped, 'fluentd'),
        gone: path.join(custom, gone, 'fluentd'),
      };
      // Every line is on disk (the memory batch that failed is spilled too): the files stop changing.
      for (const [name, dir] of Object.entries(dirs)) {
        await eventually(`${name}: every line in its spool`, async () => folderBytes(dir) >= N * 100, 300, 100);
      }
      await eventually('stopped and gone ended', async () => {
        const ps = (await agent.run(['ps', '-a', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { Names: string; State: string });
        return ps.filter((p) => p.Names !== 'live').every((p) => p.State === 'exited');
      }, 250, 100);
      assert.equal((await agent.run(['rm', 'gone'])).code, 0);

      const df = async () => JSON.parse((await agent.run(['system', 'df', '--format', 'json'])).stdout) as DfJson;
      // The agent and the test read the same files; ask again if an outlet was still writing between the two.
      const first = await eventually('df as the files on disk say', async () => {
        const d = await df();
        const w = (id: string) => d.Workloads.find((x) => x.Id === id)?.SpoolBytes;
        return w(live) === folderBytes(dirs.live) && w(stopped) === folderBytes(dirs.stopped) && d.LeftoverSpools.Bytes === folderBytes(dirs.gone) && d;
      }, 50, 200);
      assert.equal(first.SpoolBytes, folderBytes(dirs.live) + folderBytes(dirs.stopped));
      assert.equal(first.LeftoverSpools.Count, 1);
      assert.deepEqual(first.LeftoverSpools.Spools.map((s) => [s.Path, s.Id, s.Driver, s.Bytes]), [[dirs.gone, gone, 'fluentd', folderBytes(dirs.gone)]]);
      assert.ok(first.Workloads.every((w) => w.SpoolBytes >= N * 100), 'each workload\'s spool holds its lines');

      const table = (await agent.run(['system', 'df'])).stdout;
      assert.match(table, /^Log spools\s+3\s+2\s+\S+\s+\S+/m);
      assert.match(table, new RegExp(`Spools of removed workloads: 1 \\(${humanBytes(first.LeftoverSpools.Bytes, false).replace('.', '\\.')} of unsent lines\\)`));
      const verbose = (await agent.run(['system', 'df', '-v'])).stdout;
      assert.match(verbose, /WORKLOAD ID\s+NAME\s+STATE\s+LOG FILES\s+LOG SIZE\s+SPOOL SIZE/);
      assert.match(verbose, new RegExp(`^${live.slice(0, 12)}\\s+live\\s+running\\s+\\d+\\s+\\S+\\s+${humanBytes(folderBytes(dirs.live), false).replace('.', '\\.')}$`, 'm'));
      assert.match(verbose, new RegExp(`^${dirs.gone.replace(/[.]/g, '\\.')}\\s+${gone.slice(0, 12)}\\s+fluentd\\s+\\S+$`, 'm'), 'the leftover spool, by path');

      // prune removes the stopped workload; its spool and the removed one's keep their unsent lines.
      const pruned = await agent.run(['system', 'prune', '-f']);
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.match(pruned.stdout, new RegExp(`Deleted Workloads:\\n${stopped}\\n`));
      assert.match(pruned.stdout, /Left in place: 2 spools of removed workloads with \S+ of unsent lines \(sent when their servers answer; --spools deletes them\)/);
      assert.ok(segments(dirs.stopped) > 0 && segments(dirs.gone) > 0, 'the unsent lines are still on disk');
      const second = await df();
      assert.deepEqual(second.LeftoverSpools.Spools.map((s) => s.Path).sort(), [dirs.gone, dirs.stopped].sort());

      // prune --spools: the outlets still trying give up, the folders go, the bytes are reported.
      const expected = folderBytes(dirs.gone) + folderBytes(dirs.stopped);
      const withSpools = await agent.run(['system', 'prune', '-f', '--spools']);
      assert.equal(withSpools.code, 0, withSpools.stderr);
      assert.match(withSpools.stdout, /Deleted spools of removed workloads \(unsent lines\):\n/);
      for (const d of [dirs.gone, dirs.stopped]) assert.ok(withSpools.stdout.includes(`\n${d}\n`), `${d} listed`);
      assert.match(withSpools.stdout, new RegExp(`Total reclaimed space: ${humanBytes(expected, false).replace('.', '\\.')}\\n`));
      assert.ok(!fs.existsSync(dirs.gone) && !fs.existsSync(dirs.stopped), 'deleted');
      assert.ok(segments(dirs.live) > 0, 'a running workload\'s spool is not touched');
      const third = await df();
      assert.equal(third.LeftoverSpools.Count, 0);
      assert.equal(third.Workloads.find((w) => w.Id === live)!.SpoolBytes, folderBytes(dirs.live));

      // The running workload's spooled lines still go once the server is back; the deleted ones never.
      await peer.up();
      await eventually('live\'s lines at the peer', async () => peer.events.filter((e) => e.tag === 'live').length >= N, 600, 100);
      await sleep(300);
      assert.deepEqual(peer.events.filter((e) => e.tag === 'live').map((e) => lineNumber(e.record['log'])), Array.from({ length: N }, (_, i) => i));
      assert.equal(peer.events.filter((e) => e.tag !== 'live').length, 0, 'the deleted spools\' lines are not sent');
    } catch (e) {
      let log = '';
      try { log = fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8').slice(-3000); } catch { /* none */ }
      throw new Error(`${(e as Error).message}\nagent.log ends:\n${log}`);
    } finally {
      const ids = (await agent.run(['ps', '-a', '-q']).catch(() => ({ stdout: '' }))).stdout.trim().split('\n').filter(Boolean);
      if (ids.length) await agent.run(['rm', '-f', ...ids]).catch(() => undefined);
      await agent.stop();
      await peer.close();
    }
  });
});
