import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { findHolder } from '../../engine/workloads/holder';
import { TestAgent, eventually } from '../helpers/cli';

const skip = findHolder() ? false : 'the workload holder is not built (no C compiler when npm ci ran)';

async function inspect(agent: TestAgent, ref: string) {
  return JSON.parse((await agent.run(['inspect', ref])).stdout)[0];
}

/**
 * Runs body with a fresh agent, then stops it; a failure of body is the one reported (a cleanup
 * failing after it would hide it). Whatever body left running is stopped by the agent's stop.
 */
async function withAgent(agent: TestAgent, body: () => Promise<void>): Promise<void> {
  await agent.start();
  try {
    await body();
  } catch (e) {
    if (!agent.running) await agent.start().catch(() => undefined);
    const ids = (await agent.run(['ps', '-a', '-q']).catch(() => ({ stdout: '' }))).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await agent.run(['rm', '-f', ...ids]).catch(() => undefined);
    await agent.stop().catch(() => undefined);
    throw e;
  }
  await agent.stop();
}

/** The numbers of `line-N` log lines, in order. */
const numbers = (text: string) => text.split('\n').filter(Boolean).map((l) => Number(/^line-(\d+)$/.exec(l)?.[1] ?? NaN));

describe('live restore: the agent is killed, the workloads are not', { skip }, () => {
  it('a workload writing through the crash loses no line and repeats none', async () => {
    const agent = new TestAgent();
    await withAgent(agent, async () => {
      // About 4,000 lines on both streams; the agent is down for a second in the middle. The
      // workload then waits for a file, so it is surely still running while no agent reads.
      const gate = `${agent.root}/done`;
      const script = `i=0; while [ $i -lt 4000 ]; do i=$((i+1)); echo line-$i; if [ $((i % 500)) -eq 0 ]; then echo err-$i >&2; sleep 0.2; fi; done; while [ ! -e ${gate} ]; do sleep 0.05; done; exit 3`;
      await agent.run(['run', '-d', '--name', 'writer', '--', 'sh', '-c', script]);
      await eventually('some lines logged', async () => numbers((await agent.run(['logs', 'writer'])).stdout).length > 500);
      const pid = (await inspect(agent, 'writer')).State.Pid;
      await agent.stopAgent('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      assert.ok(fs.existsSync(`/proc/${pid}`), 'still running while no agent reads');
      await agent.start();
      fs.writeFileSync(gate, '');
      assert.equal((await agent.run(['wait', 'writer'])).stdout.trim(), '3', 'the exit code comes through the holder');
      const out = await agent.run(['logs', 'writer']);
      assert.deepEqual(numbers(out.stdout), Array.from({ length: 4000 }, (_, i) => i + 1), 'every line once, in order');
      assert.deepEqual(out.stderr.trim().split('\n'), Array.from({ length: 8 }, (_, i) => `err-${(i + 1) * 500}`));
      const s = await inspect(agent, 'writer');
      assert.equal(s.State.ExitCode, 3);
      assert.equal(s.LogStats.Dropped['json-file']?.['buffer-full'] ?? 0, 0);
    });
  });

  it('a workload that ends while no agent runs: its last lines and exit code are kept for the next one', async () => {
    const agent = new TestAgent();
    await withAgent(agent, async () => {
      const gate = `${agent.root}/go`;
      await agent.run(['run', '-d', '--name', 'brief', '--', 'sh', '-c', `echo before; while [ ! -e ${gate} ]; do sleep 0.05; done; echo after-1; echo after-2 >&2; exit 5`]);
      await eventually('first line logged', async () => (await agent.run(['logs', 'brief'])).stdout === 'before\n');
      const pid = (await inspect(agent, 'brief')).State.Pid;
      await agent.stopAgent('SIGKILL');
      fs.writeFileSync(gate, '');
      await eventually('the workload ended', async () => !fs.existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')));
      await agent.start();
      assert.equal((await agent.run(['wait', 'brief'])).stdout.trim(), '5');
      const out = await agent.run(['logs', 'brief']);
      assert.equal(out.stdout, 'before\nafter-1\n');
      assert.equal(out.stderr, 'after-2\n');
    });
  });

  it('--live-restore: a stopped agent leaves its workloads running, and the next one takes over', async () => {
    const agent = new TestAgent(undefined, 'off', ['--live-restore']);
    await withAgent(agent, async () => {
      const gate = `${agent.root}/go`;
      await agent.run(['run', '-d', '--name', 'steady', '--', 'sh', '-c', `echo one; while [ ! -e ${gate} ]; do sleep 0.05; done; echo two; exit 4`]);
      await eventually('first line logged', async () => (await agent.run(['logs', 'steady'])).stdout === 'one\n');
      const pid = (await inspect(agent, 'steady')).State.Pid;
      await agent.stopAgent('SIGTERM');
      assert.ok(fs.existsSync(`/proc/${pid}`), 'still running after the agent stopped');
      await agent.start();
      assert.equal((await inspect(agent, 'steady')).State.Pid, pid);
      fs.writeFileSync(gate, '');
      assert.equal((await agent.run(['wait', 'steady'])).stdout.trim(), '4');
      assert.equal((await agent.run(['logs', 'steady'])).stdout, 'one\ntwo\n');
    });
  });
});
