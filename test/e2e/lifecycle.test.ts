import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestAgent, eventually } from '../helpers/cli';

const inspect = async (a: TestAgent, ref: string) => JSON.parse((await a.run(['inspect', ref])).stdout)[0];

describe('workload lifecycle', () => {
  const agent = new TestAgent();
  before(() => agent.start());
  after(() => agent.stop());

  it('stop sends SIGTERM, then SIGKILL after -t seconds', async () => {
    await agent.run(['run', '-d', '--name', 'polite', '--', 'sh', '-c', 'trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done']);
    await eventually('ready', async () => (await agent.run(['logs', 'polite'])).stdout === 'ready\n');
    assert.equal((await agent.run(['stop', 'polite'])).stdout, 'polite\n');
    assert.equal((await inspect(agent, 'polite')).State.ExitCode, 0);

    await agent.run(['run', '-d', '--name', 'stubborn', '--', 'sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done']);
    await eventually('ready', async () => (await agent.run(['logs', 'stubborn'])).stdout === 'ready\n');
    assert.equal((await agent.run(['stop', '-t', '1', 'stubborn'])).code, 0);
    const s = (await inspect(agent, 'stubborn')).State;
    assert.equal(s.Status, 'exited');
    assert.equal(s.ExitCode, 137);
  });

  it('kill -s sends the signal; start and restart run it again', async () => {
    await agent.run(['run', '-d', '--name', 'sleeper', '--', 'sleep', '60']);
    assert.equal((await agent.run(['kill', '-s', 'USR1', 'sleeper'])).code, 0);
    assert.equal((await agent.run(['wait', 'sleeper'])).stdout, '138\n'); // 128 + SIGUSR1
    assert.equal((await agent.run(['start', 'sleeper'])).code, 0);
    const first = (await inspect(agent, 'sleeper')).State;
    assert.equal(first.Running, true);
    assert.equal((await agent.run(['restart', '-t', '0', 'sleeper'])).code, 0);
    const second = (await inspect(agent, 'sleeper')).State;
    assert.equal(second.Running, true);
    assert.notEqual(second.Pid, first.Pid);
    const rm = await agent.run(['rm', 'sleeper']);
    assert.equal(rm.code, 125);
    assert.match(rm.stderr, /stop the container before removing or force remove/);
    assert.equal((await agent.run(['rm', '-f', 'sleeper'])).code, 0);
    assert.equal((await agent.run(['ps', '-a', '-q'])).stdout.includes(second.Pid), false);
  });

  it('on-failure:2 restarts a failing workload twice, then leaves it exited', async () => {
    await agent.run(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', '--', 'sh', '-c', 'echo try; exit 4']);
    const s = await eventually('retries used up', async () => {
      const st = (await inspect(agent, 'flaky')).State;
      return st.Status === 'exited' && st.RestartCount === 2 ? st : undefined;
    });
    assert.equal(s.ExitCode, 4);
    assert.equal((await agent.run(['logs', 'flaky'])).stdout, 'try\ntry\ntry\n');
  });

  it('always restarts a workload that exits 0, until stopped', async () => {
    await agent.run(['run', '-d', '--name', 'again', '--restart', 'always', '--', 'sh', '-c', 'echo run']);
    await eventually('two restarts', async () => (await inspect(agent, 'again')).RestartCount >= 2);
    await agent.run(['stop', 'again']);
    const n = (await inspect(agent, 'again')).RestartCount;
    await new Promise((r) => setTimeout(r, 500));
    const after = await inspect(agent, 'again');
    assert.equal(after.RestartCount, n);
    assert.equal(after.State.Status, 'exited');
  });

  it('ps lists running ones; -a all; -q ids; --format json', async () => {
    await agent.run(['run', '-d', '--name', 'lister', '--', 'sleep', '30']);
    const table = (await agent.run(['ps'])).stdout.split('\n');
    assert.match(table[0]!, /^CONTAINER ID\s+COMMAND\s+CREATED\s+STATUS\s+NAMES$/);
    assert.ok(table.some((l) => /lister$/.test(l) && /Up /.test(l)));
    assert.ok(!table.some((l) => /polite$/.test(l)));
    const all = (await agent.run(['ps', '-a'])).stdout;
    assert.match(all, /Exited \(0\) .* ago\s+polite/);
    const ids = (await agent.run(['ps', '-a', '-q'])).stdout.trim().split('\n');
    assert.ok(ids.every((i) => /^[0-9a-f]{12}$/.test(i)));
    const rows = (await agent.run(['ps', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const row = rows.find((r) => r.Names === 'lister');
    assert.equal(row.State, 'running');
    assert.match(row.Status, /^Up /);
    await agent.run(['rm', '-f', 'lister']);
  });
});

describe('agent restarts', () => {
  it('keeps every workload, its state and its logs; always-workloads come back', async () => {
    const agent = new TestAgent();
    await agent.start();
    try {
      await agent.run(['run', '-d', '--name', 'done', '--', 'sh', '-c', 'echo kept; exit 7']);
      await agent.run(['wait', 'done']);
      await agent.run(['run', '-d', '--name', 'svc', '--restart', 'always', '--', 'sh', '-c', 'echo up; sleep 60']);
      await eventually('svc up', async () => (await agent.run(['logs', 'svc'])).stdout.includes('up'));
      await agent.stopAgent();
      await agent.start();
      const done = await inspect(agent, 'done');
      assert.equal(done.State.ExitCode, 7);
      assert.equal((await agent.run(['logs', 'done'])).stdout, 'kept\n');
      const svc = await eventually('svc back', async () => { const s = await inspect(agent, 'svc'); return s.State.Running ? s : undefined; });
      assert.equal(svc.Name, '/svc');
      await eventually('second run logged', async () => (await agent.run(['logs', 'svc'])).stdout === 'up\nup\n');
    } finally {
      await agent.stop();
    }
  });
});
