import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalSocket } from '../../drivers/journald/socket';
import { TestAgent, eventually } from '../helpers/cli';
import { PAD, droppedBy, inspectOf } from '../helpers/paced';
import { TestJournal, journaldInstalled } from '../helpers/peers/journald';

const skip = !journaldInstalled() ? 'systemd-journald is not installed (apt-get install systemd)'
  : !JournalSocket.supported() ? 'corral\'s native addon is not built (unix datagram sockets)' : false;

/**
 * journald with `spool-dir`, through the real agent and a real systemd-journald that stops reading
 * (SIGSTOP, the test's own journald only): its socket queue fills, the driver answers retry, and
 * the lines go to the spool instead of being dropped (mode=non-blocking, a 4k buffer); once
 * journald reads again every line is in the journal once, in order.
 */

const N = 2000;

describe('corral run --log-driver journald --log-opt spool-dir', { skip }, () => {
  it('journald stopped: the lines wait in the spool, then reach the journal once, in order', async (t) => {
    const j = await TestJournal.acquire();
    const agent = new TestAgent();
    let resume: (() => void) | undefined;
    try {
      await agent.start();
      resume = j.pause();
      if (!resume) { t.skip('the machine\'s own journald is in use: tests never stop it'); return; }
      const spoolDir = path.join(agent.root, 'jspool');
      const written = path.join(agent.root, 'written');
      const r = await agent.run(['run', '-d', '--name', 'js', '--log-driver', 'journald',
        ...['mode=non-blocking', 'max-buffer-size=4k', `spool-dir=${spoolDir}`].flatMap((o) => ['--log-opt', o]),
        '--', 'sh', '-c', `seq -f "n%06.0f ${PAD}" 0 ${N - 1}; touch ${written}`]);
      assert.equal(r.code, 0, r.stderr);
      const id = r.stdout.trim();
      const segs = () => { try { return fs.readdirSync(path.join(spoolDir, id, 'journald')).filter((f) => f.endsWith('.seg')).length; } catch { return 0; } };
      await eventually('the workload wrote everything and ended', async () => fs.existsSync(written) && !(await inspectOf(agent, 'js')).running, 300, 100);
      await eventually('lines in the spool while journald does not read', async () => segs() > 0, 300, 100);
      resume();
      const es = await j.waitEntries(id, N, 60_000);
      const lines = es.map((e) => e['MESSAGE']);
      assert.deepEqual(lines, Array.from({ length: N }, (_, i) => `n${String(i).padStart(6, '0')} ${PAD}`), 'every line once, in order');
      const { stats } = await eventually('sent counted', async () => { const s = await inspectOf(agent, 'js'); return s.stats.SentBy['journald'] === N && s; }, 100, 100);
      assert.equal(droppedBy(stats, 'journald'), 0, JSON.stringify(stats.Dropped));
      await eventually('the spool is emptied once sent', async () => segs() === 0, 100, 100);
      assert.equal((await agent.run(['logs', '--tail', '1', 'js'])).stdout, `n${String(N - 1).padStart(6, '0')} ${PAD}\n`, 'logs reads it back from the journal');
    } catch (e) {
      let log = '';
      try { log = fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8').slice(-3000); } catch { /* none */ }
      throw new Error(`${(e as Error).message}\nagent.log ends:\n${log}`);
    } finally {
      resume?.();
      const ids = (await agent.run(['ps', '-a', '-q']).catch(() => ({ stdout: '' }))).stdout.trim().split('\n').filter(Boolean);
      if (ids.length) await agent.run(['rm', '-f', ...ids]).catch(() => undefined);
      await agent.stop();
      await j.release();
    }
  });
});
