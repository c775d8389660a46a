import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyStats } from '../../engine/cgroups/types';
import { NO_LIMITS } from '../../engine/cgroups/limits';
import { Snapshot, WorkloadSample } from '../../engine/snapshot';
import { topRows } from '../../agent/view/rows';
import { SampleHistory } from '../../agent/web/history';
import { RowsFeed } from '../../agent/web/feed';
import { IntervalSampler, SampleSource } from '../../engine/sampler';
import { WallClock } from '../../engine/logs/clock';

const SEC = 1_000_000_000n;

/** A workload at second `t` that has used t/2 CPU seconds and written t KiB. */
function workload(name: string, t: number, extra: Partial<WorkloadSample> = {}): WorkloadSample {
  const stats = emptyStats();
  stats.cpu.usageNs = (t / 2) * 1e9;
  stats.memory.workingSet = (10 + t) * 1024 * 1024;
  stats.pids.current = 3;
  stats.io.devices = [{ major: 254, minor: 0, readBytes: 0, writeBytes: t * 1024, reads: 0, writes: 0 }];
  return {
    id: name.padEnd(64, '0'), name, cgroupPath: `/corral/${name}`, labels: {}, state: 'running', restartCount: 0, oomKillCount: 0,
    startedAt: 1000, limits: { ...NO_LIMITS, memory: 64 * 1024 * 1024, nanoCpus: 1_500_000_000, pidsLimit: 100 },
    stats, logs: { messages: { stdout: 0, stderr: 0 }, bytes: 0, drivers: [] }, ...extra,
  };
}

const snap = (t: number, ws: WorkloadSample[]): Snapshot =>
  ({ time: BigInt(1000 + t) * SEC, systemCpuNs: t * 2e9, onlineCpus: 2, workloads: ws, durationSeconds: 0, errors: 0 });

/** Feeds seconds from..to of the given workloads through topRows into h, as the agent's feed does. */
function feed(h: SampleHistory, from: number, to: number, names: (t: number) => string[]): void {
  let before: Snapshot | undefined;
  for (let t = from; t <= to; t++) {
    const now = snap(t, names(t).map((n) => workload(n, t)));
    h.push(Number(now.time / 1_000_000n), topRows(now, before));
    before = now;
  }
}

describe('web view sample history', () => {
  it('keeps samples with the limits drawn against them; the first has no rates yet', () => {
    const h = new SampleHistory(900);
    feed(h, 1, 5, () => ['api']);
    const got = h.get('api'.padEnd(64, '0'))!;
    assert.equal(got.name, 'api');
    assert.deepEqual(got.limits, { cpuPercent: 150, memoryBytes: 64 * 1024 * 1024, pids: 100 });
    assert.equal(got.samples.length, 5);
    assert.deepEqual(got.samples.map((s) => s.t), [1001000, 1002000, 1003000, 1004000, 1005000]);
    assert.equal(got.samples[0]!.cpuPercent, null);
    assert.equal(got.samples[0]!.writeBytesPerSec, null);
    // Half a CPU second per second: 50% of one core (Docker's formula, 100 = one core).
    assert.equal(got.samples[4]!.cpuPercent, 50);
    assert.equal(got.samples[4]!.writeBytesPerSec, 1024);
    assert.equal(got.samples[4]!.memoryBytes, 15 * 1024 * 1024);
    assert.equal(got.samples[4]!.pids, 3);
  });

  it('is bounded: only the last `capacity` ticks, oldest first', () => {
    const h = new SampleHistory(10);
    feed(h, 1, 35, () => ['api']);
    const got = h.get('api'.padEnd(64, '0'))!;
    assert.equal(got.samples.length, 10);
    assert.deepEqual(got.samples.map((s) => s.t), Array.from({ length: 10 }, (_, i) => (1000 + 26 + i) * 1000));
    assert.deepEqual(got.samples.map((s) => s.memoryBytes), Array.from({ length: 10 }, (_, i) => (10 + 26 + i) * 1024 * 1024));
  });

  it('starts a new workload at its first tick and forgets a removed one', () => {
    const h = new SampleHistory(10);
    feed(h, 1, 8, (t) => (t < 4 ? ['api'] : t < 7 ? ['api', 'db'] : ['db']));
    assert.equal(h.get('api'.padEnd(64, '0')), undefined);
    assert.equal(h.has('api'.padEnd(64, '0')), false);
    assert.equal(h.size, 1);
    assert.deepEqual(h.get('db'.padEnd(64, '0'))!.samples.map((s) => s.t), [4, 5, 6, 7, 8].map((t) => (1000 + t) * 1000));
  });

  it('keeps null for what was unknown (a stopped workload has no cgroup) and no limit as null', () => {
    const h = new SampleHistory(5);
    const w = workload('job', 1, { state: 'exited', stats: null, limits: NO_LIMITS });
    const now = snap(1, [w]);
    h.push(1001000, topRows(now, undefined));
    const got = h.get(w.id)!;
    assert.deepEqual(got.limits, { cpuPercent: null, memoryBytes: null, pids: null });
    assert.deepEqual(got.samples, [{ t: 1001000, cpuPercent: null, memoryBytes: null, readBytesPerSec: null, writeBytesPerSec: null, pids: null }]);
  });

  it('refuses a capacity that is not a whole number above 0', () => {
    assert.throws(() => new SampleHistory(0), /invalid history capacity 0/);
  });
});

describe('web view rows feed', () => {
  it('fills the history on every tick whether or not a page listens, and sends each frame to listeners as JSON', () => {
    // Workloads without a cgroup (as on a host without cgroups): described, never read.
    const sources: SampleSource[] = ['api', 'docker:web'].map((name) => ({
      cgroupHandle: undefined, lastCgroupPath: '',
      describe: () => ({ ...workload(name, 0), source: name.startsWith('docker:') ? 'docker' as const : undefined, state: 'exited' as const }),
    }));
    const sampler = new IntervalSampler(() => sources, new WallClock(), 3_600_000);
    const feed = new RowsFeed(sampler, new SampleHistory(10));
    try {
      sampler.sample();
      assert.equal(feed.history.get('api'.padEnd(64, '0'))!.samples.length, 2, 'the first pass and this one');
      const frames: Array<{ t: number; rows: Array<{ name: string; source: string; readOnly: boolean; memUsage: unknown }> }> = [];
      const off = feed.subscribe((json) => frames.push(JSON.parse(json)));
      sampler.sample();
      off();
      sampler.sample();
      assert.equal(frames.length, 1);
      assert.deepEqual(frames[0]!.rows.map((r) => [r.name, r.source, r.readOnly, r.memUsage]), [['api', 'corral', false, null], ['docker:web', 'docker', true, null]]);
      assert.deepEqual(JSON.parse(feed.current()).rows.length, 2);
      assert.equal(feed.history.get('api'.padEnd(64, '0'))!.samples.length, 4);
    } finally {
      feed.stop();
      sampler.stop();
    }
  });
});
