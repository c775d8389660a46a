import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Fault } from '../../engine/cgroups/fsutil';
import { HostInfo, Limits, NO_LIMITS, parseLimits, ResourceFlags } from '../../engine/cgroups/limits';
import { watchOom } from '../../engine/cgroups/oom';
import { CgroupBackend, CgroupHandle, CgroupStats } from '../../engine/cgroups/types';

/**
 * Backend conformance: one set of assertions for every CgroupBackend (v1 and v2 on
 * fixture trees, v1 on the real kernel). What differs between versions (file names,
 * conversions) is the unit tests' business; here only the contract is checked.
 */
export interface CgroupHarness {
  backend: CgroupBackend;
  host: HostInfo;
  /** Faults the backend's fs obeys (pushed by the suite, cleared after each use). */
  faults: Fault[];
  /** A process to put in a cgroup: a real one on the kernel, a made-up pid on fixtures. */
  process(): Promise<{ pid: number; stop(): Promise<void> }>;
  /** Makes the kernel's OOM-kill counter go up by one (for real on the kernel: a process is OOM-killed). */
  bumpOom(h: CgroupHandle): Promise<void>;
  dispose(): Promise<void>;
}

export interface CgroupSubject {
  name: string;
  skip?: string;
  open(): Promise<CgroupHarness>;
}

const MiB = 1024 * 1024;

function checkShape(s: CgroupStats): void {
  const groups = [s.cpu, s.memory, s.pids] as Array<Record<string, number | null>>;
  for (const g of groups) for (const [k, v] of Object.entries(g)) assert.ok(v === null || (typeof v === 'number' && Number.isFinite(v)), `${k}=${v}`);
  for (const d of s.io.devices) for (const v of Object.values(d)) assert.equal(typeof v, 'number');
  if (s.memory.usage !== null && s.memory.workingSet !== null) assert.ok(s.memory.workingSet <= s.memory.usage);
}

export function cgroupConformance(subject: CgroupSubject): void {
  describe(`cgroup backend conformance: ${subject.name}`, { skip: subject.skip }, () => {
    let H: CgroupHarness;
    const lim = (f: ResourceFlags): Limits => parseLimits(f, H.host).limits;
    before(async () => { H = await subject.open(); });
    after(async () => { await H?.dispose(); });

    it('create, list, destroy; the handle keeps the limits it applied', async () => {
      const l = lim({ memory: '64m', 'pids-limit': '20' });
      const h = await H.backend.create('conf-a', l);
      assert.deepEqual(h.limits, l);
      assert.ok(H.backend.list().includes('conf-a'));
      assert.ok(h.procsFiles().length >= 1);
      await h.destroy();
      assert.ok(!H.backend.list().includes('conf-a'));
    });

    it('stats have one shape, and show the limits as set and as changed', async () => {
      const h = await H.backend.create('conf-b', lim({ memory: '64m', 'pids-limit': '20' }));
      try {
        let { stats, errors } = await h.stats();
        assert.deepEqual(errors, []);
        checkShape(stats);
        assert.equal(stats.memory.limit, 64 * MiB);
        assert.equal(stats.pids.limit, 20);
        await h.setLimits(lim({ memory: '128m', 'memory-swap': '256m', 'pids-limit': '30' }));
        ({ stats } = await h.stats());
        assert.equal(stats.memory.limit, 128 * MiB);
        assert.equal(stats.pids.limit, 30);
        await h.setLimits(NO_LIMITS);
        ({ stats } = await h.stats());
        assert.deepEqual([stats.memory.limit, stats.pids.limit], [null, null]);
      } finally {
        await h.destroy();
      }
    });

    it('all or nothing: a write the kernel refuses leaves every file as it was', async () => {
      const l = lim({ memory: '64m', 'pids-limit': '20' });
      const h = await H.backend.create('conf-c', l);
      try {
        H.faults.push({ op: 'write', file: 'pids.max', code: 'EINVAL', times: 1 });
        await assert.rejects(h.setLimits(lim({ memory: '96m', cpus: '0.5', 'pids-limit': '10' })), /pids\.max: invalid argument \(EINVAL\)/);
        const { stats } = await h.stats();
        assert.deepEqual([stats.memory.limit, stats.pids.limit], [64 * MiB, 20]);
        assert.deepEqual(h.limits, l);
        assert.deepEqual((await H.backend.adopt('conf-c')).limits.memory, 64 * MiB);
      } finally {
        H.faults.length = 0;
        await h.destroy();
      }
    });

    it('a create the kernel or the checks refuse leaves nothing behind', async () => {
      const before = H.backend.list();
      await assert.rejects(H.backend.create('conf-d', { ...NO_LIMITS, memorySwap: 256 * MiB }));
      await assert.rejects(H.backend.create('../conf-d', NO_LIMITS), /invalid cgroup name/);
      assert.deepEqual(H.backend.list(), before);
    });

    it('join puts a process in; destroy is refused while it lives and works after', async () => {
      const h = await H.backend.create('conf-e', NO_LIMITS);
      const p = await H.process();
      try {
        await h.join(p.pid);
        assert.ok(h.pids().includes(p.pid));
        const r = await H.backend.cleanupLeftovers();
        assert.ok(r.busy.includes('conf-e'), 'a cgroup with a process in it is never removed');
      } finally {
        await p.stop();
      }
      await h.destroy();
      assert.ok(!H.backend.list().includes('conf-e'));
    });

    it('OOM kills are reported with the count, and read once more at destroy', async () => {
      const h = await H.backend.create('conf-f', lim({ memory: '64m' }));
      const seen: number[] = [];
      const w = watchOom(h, { onKill: (total) => seen.push(total), intervalMs: 60_000 })!;
      const base = w.total;
      await H.bumpOom(h);
      assert.equal(w.check(), base + 1);
      await H.bumpOom(h);
      await h.destroy();
      assert.deepEqual(seen, [base + 1, base + 2]);
    });

    it('cleanupLeftovers removes our empty cgroups and keeps the named ones', async () => {
      await H.backend.create('conf-g', NO_LIMITS);
      const keep = await H.backend.create('conf-h', NO_LIMITS);
      const r = await H.backend.cleanupLeftovers(['conf-h']);
      assert.ok(r.removed.includes('conf-g'));
      assert.ok(H.backend.list().includes('conf-h'));
      await keep.destroy();
    });
  });
}
