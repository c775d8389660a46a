import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { Fault, realFs, withFaults } from '../../engine/cgroups/fsutil';
import { HostInfo } from '../../engine/cgroups/limits';
import { gatedCommand, joinAndRelease } from '../../engine/cgroups/join';
import { CgroupHandle } from '../../engine/cgroups/types';
import { V1Backend } from '../../engine/cgroups/v1/backend';
import { V2Backend } from '../../engine/cgroups/v2/backend';
import { v1Tree, v2Tree } from '../fixtures/cgroupfs/fixturefs';
import { cgroupConformance, CgroupHarness } from './cgroups';

const host: HostInfo = { ncpu: 2, cpus: '0-1', mems: '0', swapLimit: true, statDevice: () => ({ major: 254, minor: 0 }) };

/** Fixture pids are made up; "stopping" one empties the cgroup.procs files it was written to. */
function fakeProcesses(dirsOf: () => string[]) {
  let next = 90000;
  return async () => {
    const pid = next++;
    return {
      pid,
      stop: async () => {
        for (const d of dirsOf()) {
          for (const f of fs.readdirSync(d, { recursive: true }) as string[]) {
            if (path.basename(f) === 'cgroup.procs') fs.writeFileSync(path.join(d, f), '');
          }
        }
      },
    };
  };
}

/** Adds one to the oom_kill line of the handle's counter file. */
async function bumpOom(h: CgroupHandle): Promise<void> {
  const c = h.oomCounter()!;
  const text = fs.readFileSync(c.file, 'utf8');
  fs.writeFileSync(c.file, text.replace(new RegExp(`^${c.key} (\\d+)$`, 'm'), (_m, n: string) => `${c.key} ${Number(n) + 1}`));
}

cgroupConformance({
  name: 'v1 (fixture tree)',
  async open(): Promise<CgroupHarness> {
    const t = v1Tree();
    const faults: Fault[] = [];
    const backend = new V1Backend({ mounts: t.mounts, parent: 'corral', fs: withFaults(t.fs, faults) });
    return { backend, host, faults, process: fakeProcesses(() => Object.values(t.mounts)), bumpOom, dispose: async () => t.cleanup() };
  },
});

cgroupConformance({
  name: 'v2 (fixture tree)',
  async open(): Promise<CgroupHarness> {
    const t = v2Tree();
    const faults: Fault[] = [];
    const backend = new V2Backend({ root: t.root, parent: 'corral', fs: withFaults(t.fs, faults) });
    return { backend, host, faults, process: fakeProcesses(() => [t.root]), bumpOom, dispose: async () => t.cleanup() };
  },
});

const V1_REAL = ['cpuset', 'memory', 'cpu', 'cpuacct', 'blkio', 'pids'];
const realV1 = V1_REAL.every((c) => fs.existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`));

cgroupConformance({
  name: 'v1 (this kernel)',
  skip: process.getuid?.() !== 0 ? 'needs root' : !realV1 ? 'no cgroup v1 hierarchies for cpuset/memory/cpu/cpuacct/blkio/pids here' : undefined,
  async open(): Promise<CgroupHarness> {
    const parent = `corral-test-${process.pid}`;
    const faults: Fault[] = [];
    const mounts = Object.fromEntries(V1_REAL.map((c) => [c, `/sys/fs/cgroup/${c}`]));
    const backend = new V1Backend({ mounts, parent, fs: withFaults(realFs, faults) });
    const live = new Set<ReturnType<typeof spawn>>();
    const process_ = async () => {
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      live.add(child);
      await once(child, 'spawn');
      return {
        pid: child.pid!,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            const gone = once(child, 'exit');
            child.kill('SIGKILL');
            await gone;
          }
          live.delete(child);
        },
      };
    };
    /** A real OOM kill: python asks for 200 MB in a cgroup limited to 64 MB. */
    const bumpReal = async (h: CgroupHandle) => {
      const g = gatedCommand('python3', ['-c', 'b = bytearray(200 * 1024 * 1024)']);
      const child = spawn(g.file, g.args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      live.add(child);
      const gone = once(child, 'exit');
      await joinAndRelease(child, h);
      const [, signal] = await gone;
      live.delete(child);
      if (signal !== 'SIGKILL') throw new Error(`expected an OOM kill, got ${signal}`);
    };
    return {
      backend, host, faults, process: process_, bumpOom: bumpReal,
      dispose: async () => {
        for (const c of live) {
          if (c.exitCode !== null || c.signalCode !== null) continue;
          const gone = once(c, 'exit');
          c.kill('SIGKILL');
          await gone;
        }
        await backend.cleanupLeftovers();
        for (const c of V1_REAL) if (fs.existsSync(`/sys/fs/cgroup/${c}/${parent}`)) fs.rmdirSync(`/sys/fs/cgroup/${c}/${parent}`);
      },
    };
  },
});
