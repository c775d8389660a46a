import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { TestAgent, eventually } from '../helpers/cli';

const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;
const skip = V1 ? false : 'needs root and cgroup v1 memory/cpu controllers';
const inspect = async (a: TestAgent, ref: string) => JSON.parse((await a.run(['inspect', ref])).stdout)[0];

describe('resource limits through the CLI', { skip }, () => {
  const agent = new TestAgent();
  before(() => agent.start());
  after(() => agent.stop());
  const cg = (ctl: string, id: string, file: string) => fs.readFileSync(`/sys/fs/cgroup/${ctl}/${agent.cgroupParent}/${id}/${file}`, 'utf8').trim();

  it('-m 32m: a process allocating 200 MB is OOM-killed, reported in inspect and as an oom event', async () => {
    const r = await agent.run(['run', '--name', 'hog', '-m', '32m', '--', 'python3', '-c', 'b = bytearray(200 * 1024 * 1024); print("survived")']);
    assert.equal(r.code, 137);
    assert.equal(r.stdout, '');
    const s = await inspect(agent, 'hog');
    assert.equal(s.State.OOMKilled, true);
    assert.equal(s.State.OOMKillCount, 1);
    assert.equal(s.State.ExitCode, 137);
    assert.equal(s.HostConfig.Memory, 32 * 1024 * 1024);
    assert.equal(s.HostConfig.MemorySwap, 64 * 1024 * 1024, 'unset swap is twice the memory, as Docker');
    const events = (await agent.run(['events', '--since', '1m', '--until', '0s', '--filter', 'container=hog', '--filter', 'event=oom'])).stdout;
    assert.match(events, /container oom [0-9a-f]{64} \((host=[^,]+, )?name=hog\)/);
  });

  it('a child killed by the OOM killer is reported even when the workload survives', async () => {
    const r = await agent.run(['run', '--name', 'parent', '-m', '32m', '--', 'sh', '-c',
      'python3 -c "b = bytearray(200 * 1024 * 1024)"; echo "child exit $?"']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'child exit 137\n');
    const s = await inspect(agent, 'parent');
    assert.equal(s.State.OOMKillCount, 1);
    assert.equal(s.State.OOMKilled, true);
  });

  it('applies the limits before the command runs, and update changes them live', async () => {
    const id = (await agent.run(['run', '-d', '--name', 'api', '-m', '256m', '--memory-swap', '512m', '--cpus', '0.5', '--pids-limit', '50', '-c', '512',
      '--', 'sh', '-c', 'cat /proc/self/cgroup; sleep 60'])).stdout.trim();
    const joined = await eventually('cgroup printed', async () => { const o = (await agent.run(['logs', 'api'])).stdout; return o.includes('memory:') ? o : undefined; });
    assert.match(joined, new RegExp(`memory:/${agent.cgroupParent}/${id}`), 'the command itself ran in its cgroup');
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(256 * 1024 * 1024));
    assert.equal(cg('memory', id, 'memory.memsw.limit_in_bytes'), String(512 * 1024 * 1024));
    assert.equal(cg('cpu', id, 'cpu.cfs_quota_us'), '50000');
    assert.equal(cg('cpu', id, 'cpu.cfs_period_us'), '100000');
    assert.equal(cg('cpu', id, 'cpu.shares'), '512');
    assert.equal(cg('pids', id, 'pids.max'), '50');

    const up = await agent.run(['update', '--memory', '768m', '--memory-swap', '1g', '--cpus', '0.25', 'api']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(768 * 1024 * 1024));
    assert.equal(cg('memory', id, 'memory.memsw.limit_in_bytes'), String(1024 * 1024 * 1024));
    assert.equal(cg('cpu', id, 'cpu.cfs_quota_us'), '25000');
    const hc = (await inspect(agent, 'api')).HostConfig;
    assert.equal(hc.Memory, 768 * 1024 * 1024);
    assert.equal(hc.NanoCpus, 250_000_000);

    const refused = await agent.run(['update', '--memory', '2g', 'api']);
    assert.equal(refused.code, 125);
    assert.match(refused.stderr, /Memory limit should be smaller than already set memoryswap limit/);
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(768 * 1024 * 1024), 'a refused update changes nothing');
    const conflict = await agent.run(['update', '--cpu-period', '50000', 'api']);
    assert.equal(conflict.code, 125);
    assert.match(conflict.stderr, /CPU Period cannot be updated as NanoCPUs has already been set/);

    await agent.run(['rm', '-f', 'api']);
    assert.equal(fs.existsSync(`/sys/fs/cgroup/memory/${agent.cgroupParent}/${id}`), false, 'its cgroup is removed');
  });

  it('refuses bad resource flags with Docker\'s messages and exit 125', async () => {
    const cases: [string[], RegExp][] = [
      [['-m', '4m'], /Minimum memory limit allowed is 6MB/],
      [['-m', '64m', '--memory-swap', '32m'], /Minimum memoryswap limit should be larger than memory limit, see usage/],
      [['--cpus', '1', '--cpu-period', '50000'], /Conflicting options: Nano CPUs and CPU Period cannot both be set/],
      [['--cpus', '9'], /range of CPUs is from 0.01 to \d+\.00, as there are only \d+ CPUs available/],
      [['--blkio-weight', '5'], /Range of blkio weight is from 10 to 1000/],
      [['--cpuset-cpus', '9'], /Requested CPUs are not available - requested 9, available: 0-\d+/],
      [['-m', 'lots'], /invalid argument "lots" for "-m, --memory" flag/],
      [['--device-write-bps', '/dev/vda'], /device-write-bps/],
    ];
    for (const [flags, msg] of cases) {
      const r = await agent.run(['run', '-d', ...flags, '--', 'true']);
      assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg, flags.join(' '));
    }
  });
});

describe('an agent that crashed', { skip }, () => {
  it('leaves its workloads running; the next agent adopts them with their cgroups and limits', async () => {
    const agent = new TestAgent();
    await agent.start();
    try {
      const id = (await agent.run(['run', '-d', '--name', 'orphan', '-m', '64m', '--', 'sleep', '120'])).stdout.trim();
      const pid = (await inspect(agent, 'orphan')).State.Pid as number;
      const dir = `/sys/fs/cgroup/memory/${agent.cgroupParent}/${id}`;
      await agent.stopAgent('SIGKILL');
      assert.equal(fs.existsSync(dir), true);
      assert.equal(fs.existsSync(`/proc/${pid}`), true, 'the workload outlived the agent');
      await agent.start();
      const s = await inspect(agent, 'orphan');
      assert.equal(s.State.Status, 'running');
      assert.equal(s.State.Pid, pid, 'the same process');
      assert.equal(s.HostConfig.Memory, 64 * 1024 * 1024);
      assert.equal(fs.readFileSync(`${dir}/memory.limit_in_bytes`, 'utf8').trim(), String(64 * 1024 * 1024));
      assert.match(fs.readFileSync(`${dir}/cgroup.procs`, 'utf8'), new RegExp(`^${pid}$`, 'm'), 'still in its cgroup');
      await agent.run(['stop', '-t', '1', 'orphan']);
      const after = await inspect(agent, 'orphan');
      assert.equal(after.State.Status, 'exited');
      assert.equal(after.State.ExitCode, 143, 'SIGTERM, seen through the holder');
      await eventually('cgroup removed', async () => !fs.existsSync(dir));
    } finally {
      await agent.stop();
    }
  });
});
