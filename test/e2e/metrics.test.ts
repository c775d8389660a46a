import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { METRIC_NAMES } from '../../agent/metrics/names';
import { TestAgent, eventually } from '../helpers/cli';
import { freePort } from '../helpers/net';

const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;

/** The value of the first sample of `metric` whose labels include every given label. */
function sample(text: string, metric: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('Prometheus metrics', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  let agent: TestAgent;
  let url = '';
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    agent = new TestAgent(undefined, `127.0.0.1:${port}`, ['--hostname', 'metrics-host']);
    await agent.start();
  });
  after(() => agent.stop());

  it('exports cAdvisor\'s names and meanings for running workloads, and corral\'s own', async () => {
    await agent.run(['run', '-d', '--name', 'busy', '-l', 'team=core', '--cpus', '0.5', '-m', '64m', '--', 'sh', '-c', 'echo hi; while :; do :; done']);
    await agent.run(['run', '-d', '--name', 'hog', '-m', '32m', '--', 'sh', '-c', 'python3 -c "b = bytearray(200 * 1024 * 1024)"; sleep 60']);
    const text = await eventually('both sampled', async () => {
      const body = await (await fetch(url)).text();
      return sample(body, 'container_oom_events_total', { name: 'hog' }) === 1 && sample(body, 'container_cpu_usage_seconds_total', { name: 'busy' }) ? body : undefined;
    });
    assert.equal(sample(text, 'container_spec_cpu_quota', { name: 'busy' }), 50000);
    assert.equal(sample(text, 'container_spec_cpu_period', { name: 'busy' }), 100000);
    assert.equal(sample(text, 'container_spec_memory_limit_bytes', { name: 'busy' }), 64 * 1024 * 1024);
    assert.equal(sample(text, 'container_spec_cpu_shares', { name: 'busy' }), 1024);
    assert.ok(sample(text, 'container_memory_working_set_bytes', { name: 'busy', container_label_team: 'core' })! > 0);
    assert.match(text, new RegExp(`container_cpu_usage_seconds_total\\{id="/${agent.cgroupParent}/[0-9a-f]{64}",name="busy",host="metrics-host",container_label_team="core",cpu="total"\\}`));
    assert.equal(sample(text, 'corral_workload_state', { name: 'busy', state: 'running' }), 1);
    assert.equal(sample(text, 'corral_workload_state', { name: 'busy', state: 'exited' }), 0);
    assert.equal(sample(text, 'corral_log_messages_total', { name: 'busy', stream: 'stdout' }), 1);
    assert.match(text, /^corral_workload_state\{name="busy",host="metrics-host",state="running"\} 1$/m);
    assert.match(text, /^corral_sampler_errors_total\{host="metrics-host"\} /m);
    const series = text.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(series.filter((l) => !l.includes('host="metrics-host"')), [], 'every series has the host label');
    for (const name of METRIC_NAMES) assert.match(text, new RegExp(`^# HELP ${name} `, 'm'), `${name} is exported`);
    const exported = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    assert.deepEqual(exported.filter((n) => !METRIC_NAMES.includes(n!)), [], 'every exported name is in names.ts');
  });

  it('speaks OpenMetrics when asked', async () => {
    const res = await fetch(url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(res.headers.get('content-type')!, /^application\/openmetrics-text/);
    assert.match(await res.text(), /# EOF\n?$/);
    assert.equal((await fetch(url.replace('/metrics', '/nope'))).status, 404);
  });
});
