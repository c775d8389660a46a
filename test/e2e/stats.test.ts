import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { humanBytes } from '../../agent/stats';
import { TestAgent, eventually } from '../helpers/cli';

const V1 = fs.existsSync('/sys/fs/cgroup/cpu/cgroup.procs') && process.getuid?.() === 0;

describe('corral stats', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  const agent = new TestAgent();
  before(() => agent.start());
  after(() => agent.stop());

  it('--no-stream prints Docker\'s columns plus CPU % of the limit and throttling', async () => {
    await agent.run(['run', '-d', '--name', 'spin', '--cpus', '0.25', '-m', '64m', '--', 'sh', '-c', 'while :; do :; done']);
    await agent.run(['run', '-d', '--name', 'idle', '--', 'sleep', '60']);
    await agent.run(['run', '--name', 'gone', '--', 'true']);
    const row = await eventually('a spinning sample with a throttled interval', async () => {
      const out = (await agent.run(['stats', '--no-stream', '--format', 'json'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const spin = out.find((r) => r.name === 'spin');
      return spin && spin.cpuPercent !== null && spin.throttledPercent > 0 ? { out, spin } : undefined;
    });
    assert.deepEqual(row.out.map((r: { name: string }) => r.name).sort(), ['idle', 'spin'], 'running ones only');
    assert.ok(row.spin.cpuOfLimitPercent > 0 && row.spin.cpuOfLimitPercent <= 110, `CPU % of a 0.25 limit: ${row.spin.cpuOfLimitPercent}`);
    assert.ok(row.spin.cpuPercent > 0 && row.spin.cpuPercent <= 30, `CPU % ${row.spin.cpuPercent}`);
    assert.equal(row.spin.memLimit, 64 * 1024 * 1024);
    assert.ok(row.spin.pids >= 1);
    const table = (await agent.run(['stats', '--no-stream'])).stdout.split('\n');
    assert.match(table[0]!, /^CONTAINER ID\s+NAME\s+CPU %\s+CPU % OF LIMIT\s+MEM USAGE \/ LIMIT\s+MEM %\s+BLOCK I\/O\s+PIDS\s+THROTTLED$/);
    assert.ok(table.some((l) => /^[0-9a-f]{12}\s+spin\s+[\d.]+%\s+[\d.]+%\s+[\d.]+[KMG]?i?B \/ 64MiB\s+[\d.]+%/.test(l)), table.join('\n'));
    const all = (await agent.run(['stats', '--no-stream', '-a', '--format', 'json'])).stdout;
    assert.match(all, /"name":"gone"/);
    const bad = await agent.run(['stats', '--format', 'xml']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /--format/);
  });

  it('sizes like Docker: binary for memory, decimal for I/O', () => {
    assert.equal(humanBytes(64 * 1024 * 1024, true), '64MiB');
    assert.equal(humanBytes(13107200, true), '12.5MiB');
    assert.equal(humanBytes(1_234_000, false), '1.23MB');
    assert.equal(humanBytes(0, false), '0B');
  });
});
