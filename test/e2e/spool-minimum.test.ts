import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestAgent, eventually } from '../helpers/cli';
import { PAD } from '../helpers/paced';

/**
 * The smallest spool-max-size the agent accepts (64k) must take lines: a pipe chunk (64 KiB read at
 * once) is larger than the whole spool, and an all-or-nothing append of it never fitted, so the
 * spool stayed empty while the workload waited. Through the real agent, with a fluentd nobody
 * listens for (127.0.0.1:1).
 */
describe('spool-max-size at its minimum', () => {
  it('64k: the spool takes the lines a down server cannot, in parts of a pipe chunk', async () => {
    const agent = new TestAgent();
    await agent.start();
    try {
      const spoolDir = path.join(agent.root, 'spool-min');
      const lines = path.join(agent.root, 'lines');
      // ~3 MB of 100-byte lines (more than the outlet's 1 MiB memory buffer holds): once the outlet
      // is full the pipe is paused, fills up, and is read 64 KiB at a time.
      fs.writeFileSync(lines, Array.from({ length: 30_000 }, (_, i) => `n${String(i).padStart(6, '0')} ${PAD}\n`).join(''));
      const r = await agent.run(['run', '-d', '--name', 'smin', '--log-driver', 'fluentd',
        ...['fluentd-address=127.0.0.1:1', `spool-dir=${spoolDir}`, 'spool-max-size=64k'].flatMap((o) => ['--log-opt', o]),
        '--', 'sh', '-c', `cat ${lines}; sleep 600`]);
      assert.equal(r.code, 0, r.stderr);
      const id = r.stdout.trim();
      const onDisk = () => {
        const dir = path.join(spoolDir, id, 'fluentd');
        try { return fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0); } catch { return 0; }
      };
      // Filled to within a line of spool-max-size (before: at most the few reads smaller than the room left).
      const bytes = await eventually('the spool filled', async () => onDisk() > 60_000 && onDisk(), 250, 40);
      assert.ok(bytes <= 64_000, `within spool-max-size: ${bytes}`);
    } finally {
      const ids = (await agent.run(['ps', '-a', '-q']).catch(() => ({ stdout: '' }))).stdout.trim().split('\n').filter(Boolean);
      if (ids.length) await agent.run(['rm', '-f', ...ids]).catch(() => undefined);
      await agent.stop();
    }
  });
});
