import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiClient } from '../../agent/api/client';
import { TestAgent, eventually } from '../helpers/cli';
import { ProbeReport } from '../helpers/probe';

/**
 * Hundreds of short-lived `--rm` workloads, as fast as the API takes them: afterwards the agent
 * holds what it held before (fds, timers, child processes, pipes) and no cgroup is left.
 */

const RUNS = 300;
const WARMUP = 30;
/** Async resources a run could leave behind: timers, child processes, pipes, watchers, fs requests. */
const KINDS = ['Timeout', 'PROCESSWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'FSREQCALLBACK'];
const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;

/** Child cgroup folders under `parent`, in every hierarchy. */
function leftoverCgroups(parent: string): string[] {
  const left: string[] = [];
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', h, parent);
    try {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) left.push(path.join(h, parent, e.name));
    } catch { /* no such hierarchy under this parent */ }
  }
  return left;
}

describe('workload churn', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  // --live-restore: the second test stops the agent and lets the next one adopt its workloads.
  const agent = new TestAgent(undefined, 'off', ['--live-restore']);
  const probeOut = path.join(agent.root, 'probe.json');
  let api: ApiClient;
  let pid = 0;

  /** Starts the agent with the probe loaded (it inherits our environment; the CLI calls of start() load it too, harmlessly). */
  async function startAgent(): Promise<void> {
    const saved = { opts: process.env['NODE_OPTIONS'], out: process.env['CORRAL_PROBE_OUT'] };
    process.env['NODE_OPTIONS'] = `${saved.opts ?? ''} --expose-gc --require ${path.join(__dirname, '..', 'helpers', 'probe.js')}`.trim();
    process.env['CORRAL_PROBE_OUT'] = probeOut;
    try {
      await agent.start();
    } finally {
      if (saved.opts === undefined) delete process.env['NODE_OPTIONS']; else process.env['NODE_OPTIONS'] = saved.opts;
      if (saved.out === undefined) delete process.env['CORRAL_PROBE_OUT']; else process.env['CORRAL_PROBE_OUT'] = saved.out;
    }
    pid = Number(fs.readFileSync(path.join(agent.root, 'agent.pid'), 'utf8'));
    api = new ApiClient(agent.socket);
  }

  before(startAgent);
  after(async () => {
    fs.writeFileSync(path.join(agent.root, 'go'), ''); // lets the second test's workloads end if it failed half-way
    await agent.stop();
  });

  async function churn(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const { Id } = await api.json<{ Id: string }>('POST', '/workloads', { path: 'true', autoRemove: true });
      await api.json('POST', `/workloads/${Id}/start`);
    }
    await eventually('every --rm workload removed', async () => (await api.json<unknown[]>('GET', '/workloads?all=1')).length === 0, 500);
  }

  async function probe(): Promise<ProbeReport> {
    fs.rmSync(probeOut, { force: true });
    process.kill(pid, 'SIGUSR2');
    return eventually('the probe answers', async () => fs.existsSync(probeOut) && JSON.parse(fs.readFileSync(probeOut, 'utf8')) as ProbeReport);
  }

  /**
   * Probes until nothing counted is above `before` (a handle closed a moment ago is destroyed
   * asynchronously, an API connection may still be open), a bounded number of times; the last report.
   */
  async function settled(before: ProbeReport): Promise<ProbeReport> {
    let last = await probe();
    for (let i = 0; i < 25 && (last.fds > before.fds || KINDS.some((k) => (last.resources[k] ?? 0) > (before.resources[k] ?? 0))); i++) {
      await new Promise((r) => setTimeout(r, 200));
      last = await probe();
    }
    return last;
  }

  it(`${RUNS} runs of true --rm leave no fd, timer, process, pipe or cgroup behind`, async (t) => {
    await churn(WARMUP); // modules loaded, pools and caches made
    const before = await probe();
    await churn(RUNS);
    const after = await settled(before);
    t.diagnostic(`before: ${JSON.stringify(before)}`);
    t.diagnostic(`after ${RUNS} runs: ${JSON.stringify(after)}`);
    assert.deepEqual(leftoverCgroups(agent.cgroupParent), []);
    assert.deepEqual(fs.readdirSync(path.join(agent.root, 'containers')), [], 'every workload folder removed');
    assert.ok(after.fds <= before.fds, `fds: ${before.fds} before, ${after.fds} after ${RUNS} runs`);
    for (const kind of KINDS) {
      assert.ok((after.resources[kind] ?? 0) <= (before.resources[kind] ?? 0), `${kind}: ${before.resources[kind] ?? 0} before, ${after.resources[kind] ?? 0} after (${JSON.stringify(after.resources)})`);
    }
    const heapMb = (after.heapUsed - before.heapUsed) / 1e6;
    assert.ok(heapMb < 16, `heap after GC grew ${heapMb.toFixed(1)} MB over ${RUNS} runs`);
  });

  it('adopted workloads (a restarted agent watching holders it did not start) leave no timer or fd behind when they end', async (t) => {
    const M = 20;
    const gate = path.join(agent.root, 'go');
    for (let i = 0; i < M; i++) {
      const { Id } = await api.json<{ Id: string }>('POST', '/workloads', { path: 'sh', args: ['-c', `while [ ! -e ${gate} ]; do sleep 0.05; done`], autoRemove: true });
      await api.json('POST', `/workloads/${Id}/start`);
    }
    await agent.stopAgent(); // --live-restore: they run on
    await startAgent();
    const adopted = await probe();
    fs.writeFileSync(gate, '');
    await eventually('every adopted workload ended and was removed', async () => (await api.json<unknown[]>('GET', '/workloads?all=1')).length === 0, 500);
    const after = await probe();
    t.diagnostic(`with ${M} adopted: ${JSON.stringify(adopted)}`);
    t.diagnostic(`after they ended: ${JSON.stringify(after)}`);
    assert.deepEqual(leftoverCgroups(agent.cgroupParent), []);
    // Each adopted run has a timer watching its holder and two FIFO read ends.
    assert.ok((after.resources['Timeout'] ?? 0) <= (adopted.resources['Timeout'] ?? 0) - M, `timers: ${adopted.resources['Timeout']} with ${M} adopted, ${after.resources['Timeout']} after`);
    assert.ok(after.fds <= adopted.fds - 2 * M, `fds: ${adopted.fds} with ${M} adopted, ${after.fds} after`);
  });
});
