import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { devNumbers } from '../../engine/cgroups/devices';
import { hostInfo } from '../../engine/cgroups/host';
import { detectCgroups } from '../../engine/cgroups/detect';
import { gatedCommand, joinAndRelease } from '../../engine/cgroups/join';
import { HostInfo, Limits, mergeUpdate, parseLimits, parseUpdate, ResourceFlags } from '../../engine/cgroups/limits';
import { watchOom } from '../../engine/cgroups/oom';
import { CgroupHandle } from '../../engine/cgroups/types';
import { V1Backend } from '../../engine/cgroups/v1/backend';

/**
 * Real enforcement on this kernel's cgroup v1 hierarchies. Everything lives under
 * corral-test-<pid> in each hierarchy and is removed at the end, processes killed first.
 */
const CONTROLLERS = ['cpuset', 'memory', 'cpu', 'cpuacct', 'blkio', 'pids'];
const PARENT = `corral-test-${process.pid}`;
const haveV1 = CONTROLLERS.every((c) => fs.existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`));
const skip = process.getuid?.() !== 0 ? 'needs root' : !haveV1 ? 'needs the cgroup v1 cpuset/memory/cpu/cpuacct/blkio/pids hierarchies' : false;

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string; ms: number }

describe('cgroup v1 enforcement on this kernel', { skip, timeout: 120_000 }, () => {
  let backend: V1Backend;
  let host: HostInfo;
  let python = 'python3';
  const handles: CgroupHandle[] = [];
  const children = new Set<ReturnType<typeof spawn>>();
  const lim = (f: ResourceFlags): Limits => parseLimits(f, host).limits;

  before(() => {
    backend = new V1Backend({ mounts: Object.fromEntries(CONTROLLERS.map((c) => [c, `/sys/fs/cgroup/${c}`])), parent: PARENT });
    host = hostInfo(detectCgroups());
    // The real interpreter, not a pyenv shim that forks shells first.
    try { python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(); } catch { /* tests using it will fail loudly */ }
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const h of handles) {
      await h.kill('SIGKILL').catch(() => undefined);
      await h.destroy().catch(() => undefined);
    }
    for (const c of CONTROLLERS) {
      const p = `/sys/fs/cgroup/${c}/${PARENT}`;
      if (fs.existsSync(p)) fs.rmdirSync(p);
    }
  });

  async function cgroup(name: string, l: Limits): Promise<CgroupHandle> {
    const h = await backend.create(name, l);
    handles.push(h);
    return h;
  }

  /** Runs file in h (joined before exec), with a hard timeout. */
  async function run(h: CgroupHandle, file: string, args: string[], timeoutMs = 20_000): Promise<Run> {
    const g = gatedCommand(file, args);
    const start = process.hrtime.bigint();
    const child = spawn(g.file, g.args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, ms: Number(process.hrtime.bigint() - start) / 1e6 })));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      await joinAndRelease(child, h);
      return await done;
    } finally {
      clearTimeout(timer);
      children.delete(child);
    }
  }

  it('joins before exec: the command itself sees its cgroup in every hierarchy', async () => {
    const h = await cgroup('join', lim({}));
    const r = await run(h, '/bin/cat', ['/proc/self/cgroup']);
    for (const c of CONTROLLERS) assert.match(r.out, new RegExp(`^\\d+:${c}:/${PARENT}/join$`, 'm'));
  });

  it('-m 32m: allocating 200 MB is OOM-killed (SIGKILL), the watcher counts 1 kill', async () => {
    const h = await cgroup('oom', lim({ memory: '32m' }));
    const kills: number[] = [];
    const w = watchOom(h, { onKill: (total) => kills.push(total), intervalMs: 100 })!;
    const r = await run(h, python, ['-c', 'b = bytearray(200 * 1024 * 1024)']);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(w.check(), 1);
    assert.deepEqual(kills, [1]);
    assert.equal((await h.stats()).stats.memory.oomKills, 1);
  });

  it('an OOM-killed child is counted even though the workload itself survives', async () => {
    const h = await cgroup('oom-child', lim({ memory: '32m' }));
    const kills: number[] = [];
    const w = watchOom(h, { onKill: (total) => kills.push(total), intervalMs: 100 })!;
    const r = await run(h, '/bin/sh', ['-c', `"${python}" -c 'b = bytearray(200 * 1024 * 1024)'; echo survived`]);
    assert.equal(r.code, 0);
    assert.match(r.out, /survived/);
    await h.destroy();
    assert.deepEqual(kills, [1], 'the last reading at destroy sees it even if no poll did');
    assert.equal(w.total, 1);
  });

  it('--cpus 0.5: quota/period 50000/100000, a 3 s busy loop gets at most 0.55 of a CPU and is throttled', async () => {
    const h = await cgroup('cpu', lim({ cpus: '0.5' }));
    const dir = h.dirs.find((d) => d.includes('/cpu/'))!;
    assert.equal(fs.readFileSync(path.join(dir, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
    assert.equal(fs.readFileSync(path.join(dir, 'cpu.cfs_period_us'), 'utf8').trim(), '100000');
    const r = await run(h, python, ['-c', 'import time\nt = time.time()\nwhile time.time() - t < 3: pass']);
    assert.equal(r.code, 0);
    const { stats } = await h.stats();
    const cores = stats.cpu.usageNs! / (r.ms * 1e6);
    assert.ok(cores <= 0.55, `used ${cores.toFixed(3)} of a CPU`);
    assert.ok(stats.cpu.throttledPeriods! > 0, 'throttled periods');
  });

  it('--cpuset-cpus 1: the process may only run on CPU 1', async (t) => {
    if (os.availableParallelism() < 2) return t.skip('needs 2 CPUs');
    const h = await cgroup('cpuset', lim({ 'cpuset-cpus': '1' }));
    const r = await run(h, '/bin/grep', ['Cpus_allowed_list', '/proc/self/status']);
    assert.match(r.out, /^Cpus_allowed_list:\s+1$/m);
  });

  it('--device-write-bps /dev/vda:1mb: a 3 MB direct write takes at least 2.5 s', async (t) => {
    if (!fs.existsSync('/dev/vda')) return t.skip('no /dev/vda');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-io-'));
    try {
      const d = devNumbers(fs.statSync(dir, { bigint: true }).dev);
      if (`${d.major}:${d.minor}` !== '254:0') return t.skip(`${dir} is not on /dev/vda`);
      const h = await cgroup('io', lim({ 'device-write-bps': '/dev/vda:1mb' }));
      const r = await run(h, '/bin/dd', ['if=/dev/zero', `of=${path.join(dir, 'x')}`, 'bs=64k', 'count=48', 'oflag=direct']);
      assert.equal(r.code, 0, r.out);
      assert.ok(r.ms >= 2500, `took ${r.ms.toFixed(0)} ms`);
      const dev = (await h.stats()).stats.io.devices.find((x) => x.major === 254 && x.minor === 0);
      assert.ok(dev && dev.writeBytes >= 3 * 1024 * 1024);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--pids-limit 20: with 20 tasks in the cgroup, the next fork fails (EAGAIN)', async () => {
    const h = await cgroup('pids', lim({ 'pids-limit': '20' }));
    const script = [
      'import os, time',
      'kids = []',
      'for i in range(40):',
      '    try:',
      '        pid = os.fork()',
      '    except OSError as e:',
      '        print(f"tasks={len(kids) + 1} fork failed errno={e.errno}", flush=True)',
      '        break',
      '    if pid == 0:',
      '        time.sleep(10)',
      '        os._exit(0)',
      '    kids.append(pid)',
      'for k in kids: os.kill(k, 9)',
      'for k in kids: os.waitpid(k, 0)',
    ].join('\n');
    const r = await run(h, python, ['-c', script]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^tasks=20 fork failed errno=11$/m);
  });

  it('setLimits raises and lowers memory and CPU on a live cgroup', async () => {
    const l = lim({ memory: '64m', cpus: '0.5' });
    const h = await cgroup('live', l);
    const g = gatedCommand('/bin/sleep', ['30']);
    const child = spawn(g.file, g.args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    children.add(child);
    await joinAndRelease(child, h);
    const mem = h.dirs.find((d) => d.includes('/memory/'))!;
    const cpu = h.dirs.find((d) => d.includes('/cpu/'))!;
    const read = (d: string, f: string) => fs.readFileSync(path.join(d, f), 'utf8').trim();
    const MiB = 1024 * 1024;
    let next = mergeUpdate(h.limits, parseUpdate({ memory: '512m', 'memory-swap': '1g', cpus: '1' }, host).changes);
    await h.setLimits(next);
    assert.deepEqual([read(mem, 'memory.limit_in_bytes'), read(mem, 'memory.memsw.limit_in_bytes'), read(cpu, 'cpu.cfs_quota_us')],
      [String(512 * MiB), String(1024 * MiB), '100000']);
    next = mergeUpdate(h.limits, parseUpdate({ memory: '32m', 'memory-swap': '64m', cpus: '0.25' }, host).changes);
    await h.setLimits(next);
    assert.deepEqual([read(mem, 'memory.limit_in_bytes'), read(mem, 'memory.memsw.limit_in_bytes'), read(cpu, 'cpu.cfs_quota_us')],
      [String(32 * MiB), String(64 * MiB), '25000']);
    assert.ok(h.pids().includes(child.pid!), 'still running, in its cgroup');
    child.kill('SIGKILL');
  });
});
