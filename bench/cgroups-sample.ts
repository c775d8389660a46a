/**
 * How long one stats sample costs per workload, at 10, 100 and 1000 cgroups, beside the
 * same files read by bare preads from Node (the floor for any JS sampler), a fresh
 * readFileSync per file, and a plain `cat` of them all (one process per sample).
 * Goal: <= 30 µs per workload per sample (1000 workloads at 1 Hz < 3% of a core).
 *
 *   node dist/bench/cgroups-sample.js [--rounds N] [--only v1-kernel|v2-fixture|v1-fixture]
 *
 * v1-fixture is off by default (slow to build: it copies the kernel's files per cgroup).
 * The kernel run (root, cgroup v1) creates its cgroups under corral-test-<pid> and removes them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { CgroupFs, realFs } from '../engine/cgroups/fsutil';
import { NO_LIMITS } from '../engine/cgroups/limits';
import { CgroupBackend, CgroupHandle } from '../engine/cgroups/types';
import { V1Backend } from '../engine/cgroups/v1/backend';
import { V2Backend } from '../engine/cgroups/v2/backend';
import { Tree, v1Tree, v2Tree } from '../test/fixtures/cgroupfs/fixturefs';

const SIZES = [10, 100, 1000];
const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const ROUNDS = Number(arg('--rounds') ?? 20);
const ONLY = arg('--only');

/** Wraps a CgroupFs to learn which files sampling opens. */
function recording(base: CgroupFs, opened: Set<string>): CgroupFs {
  return { ...base, open: (f) => { opened.add(f); return base.open(f); } };
}

/** Creates and removes through `base` (the fixture's kernel emulation), samples through `sampler`. */
function sampleVia(base: CgroupFs, sampler: CgroupFs): CgroupFs {
  return {
    read: (f) => base.read(f), write: (f, v) => base.write(f, v), exists: (f) => base.exists(f), mkdir: (d) => base.mkdir(d),
    rmdir: (d) => base.rmdir(d), subdirs: (d) => base.subdirs(d), open: (f) => sampler.open(f),
  };
}

function usPer(n: number, fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
}

async function measure(label: string, make: (fs: CgroupFs) => { backend: CgroupBackend; done(): Promise<void> }): Promise<void> {
  for (const n of SIZES) {
    const opened = new Set<string>();
    const { backend, done } = make(recording(realFs, opened));
    const handles: CgroupHandle[] = [];
    try {
      for (let i = 0; i < n; i++) handles.push(await backend.create(`bench-${i}`, NO_LIMITS));
      const errors: Error[] = [];
      for (const h of handles) h.statsSync(errors); // opens the files
      if (errors.length) throw errors[0];
      const files = [...opened];
      const rounds = Math.max(5, Math.round((ROUNDS * 100) / n)); // about the same number of samples at every size
      for (let r = 0; r < 5; r++) for (const h of handles) h.statsSync(errors); // warm the JIT
      const ours = usPer(n * rounds, () => { for (let r = 0; r < rounds; r++) for (const h of handles) h.statsSync(errors); });
      for (const h of handles) h.close(); // give their fds back for the comparison
      const fds = files.map((f) => fs.openSync(f, 'r'));
      const buf = Buffer.allocUnsafe(16384);
      const floor = usPer(n * rounds, () => { for (let r = 0; r < rounds; r++) for (const fd of fds) fs.readSync(fd, buf, 0, buf.length, 0); });
      for (const fd of fds) fs.closeSync(fd);
      const fresh = usPer(n * rounds, () => { for (let r = 0; r < rounds; r++) for (const f of files) fs.readFileSync(f); });
      const cat = usPer(n * Math.min(rounds, 5), () => {
        for (let r = 0; r < Math.min(rounds, 5); r++) spawnSync('cat', files, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
      });
      const col = (x: number, w = 12) => x.toFixed(1).padStart(w);
      console.log(`${label.padEnd(11)} ${String(n).padStart(7)} ${String(files.length / n).padStart(8)}${col(ours)}${col(floor, 13)}${col(fresh, 14)}${col(cat)}`);
    } finally {
      for (const h of handles) await h.destroy().catch(() => undefined);
      await done();
    }
  }
}

async function main(): Promise<void> {
  console.log(`µs per workload per sample (${ROUNDS * 100} samples per size; goal <= 30)`);
  console.log(`${'backend'.padEnd(11)} ${'cgroups'.padStart(7)} ${'files'.padStart(8)}${'corral'.padStart(12)}${'bare pread'.padStart(13)}${'readFileSync'.padStart(14)}${'cat'.padStart(12)}`);
  const want = (k: string) => (ONLY ? ONLY === k : k !== 'v1-fixture');
  const trees: Tree[] = [];
  try {
    const haveV1 = ['cpuset', 'memory', 'cpu', 'cpuacct', 'blkio', 'pids'].every((c) => fs.existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`));
    if (want('v1-kernel') && process.getuid?.() === 0 && haveV1) {
      const parent = `corral-test-${process.pid}`;
      const mounts = Object.fromEntries(['cpuset', 'memory', 'cpu', 'cpuacct', 'blkio', 'pids'].map((c) => [c, `/sys/fs/cgroup/${c}`]));
      await measure('v1-kernel', (f) => ({
        backend: new V1Backend({ mounts, parent, fs: f }),
        done: async () => { for (const m of Object.values(mounts)) if (fs.existsSync(`${m}/${parent}`)) fs.rmdirSync(`${m}/${parent}`); },
      }));
    } else if (want('v1-kernel')) console.log('v1-kernel    skipped: needs root and the cgroup v1 hierarchies');
    if (want('v1-fixture')) {
      await measure('v1-fixture', (f) => {
        const t = v1Tree();
        trees.push(t);
        return { backend: new V1Backend({ mounts: t.mounts, parent: 'corral', fs: sampleVia(t.fs, f) }), done: async () => t.cleanup() };
      });
    }
    if (want('v2-fixture')) {
      await measure('v2-fixture', (f) => {
        const t = v2Tree();
        trees.push(t);
        return { backend: new V2Backend({ root: t.root, parent: 'corral', fs: sampleVia(t.fs, f) }), done: async () => t.cleanup() };
      });
    }
  } finally {
    for (const t of trees) t.cleanup();
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
