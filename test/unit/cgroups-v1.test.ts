import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withFaults } from '../../engine/cgroups/fsutil';
import { CgroupLimitError } from '../../engine/cgroups/handle';
import { HostInfo, Limits, LimitsError, NO_LIMITS, parseLimits, ResourceFlags } from '../../engine/cgroups/limits';
import { V1Backend } from '../../engine/cgroups/v1/backend';
import { Tree, v1Tree } from '../fixtures/cgroupfs/fixturefs';

const host: HostInfo = { ncpu: 2, cpus: '0-1', mems: '0', swapLimit: true, statDevice: () => ({ major: 254, minor: 0 }) };
const lim = (f: ResourceFlags): Limits => parseLimits(f, host).limits;
const MiB = 1024 * 1024;
const UNLIMITED = '9223372036854771712';

let trees: Tree[] = [];
afterEach(() => { for (const t of trees) t.cleanup(); trees = []; });

function setup(mounts?: (m: Record<string, string>) => Record<string, string>) {
  const t = v1Tree();
  trees.push(t);
  const b = new V1Backend({ mounts: mounts ? mounts(t.mounts) : t.mounts, parent: 'corral', fs: t.fs });
  const file = (ctl: string, name: string, f: string) => fs.readFileSync(path.join(t.mounts[ctl]!, 'corral', name, f), 'utf8');
  const seq = (name: string) => t.fs.writes.filter((w) => w.file.includes(`/corral/${name}/`)).map((w) => `${path.basename(w.file)}=${w.value}`);
  return { t, b, file, seq };
}

describe('v1 backend on a fixture tree', () => {
  it('creates one directory per hierarchy, cpuset first, with cpus and mems copied down', async () => {
    const { t, b, file } = setup();
    const h = await b.create('w', NO_LIMITS);
    assert.equal(h.path, '/corral/w');
    assert.deepEqual(h.procsFiles(), ['cpuset', 'memory', 'cpu', 'cpuacct', 'blkio', 'pids'].map((c) => path.join(t.mounts[c]!, 'corral', 'w', 'cgroup.procs')));
    assert.equal(file('cpuset', 'w', 'cpuset.cpus'), '0-1\n');
    assert.equal(file('cpuset', 'w', 'cpuset.mems'), '0\n');
    assert.equal(fs.readFileSync(path.join(t.mounts.cpuset!, 'corral', 'cpuset.cpus'), 'utf8'), '0-1\n', 'our parent too');
  });

  it('memory: limit then memsw from unlimited; memsw first when raising, limit first when lowering', async () => {
    const { t, b, file, seq } = setup();
    const h = await b.create('m', lim({ memory: '64m' }));
    assert.deepEqual(seq('m').filter((s) => s.startsWith('memory.')), [`memory.limit_in_bytes=${64 * MiB}`, `memory.memsw.limit_in_bytes=${128 * MiB}`]);
    t.fs.writes.length = 0;
    await h.setLimits(lim({ memory: '256m', 'memory-swap': '512m' }));
    assert.deepEqual(seq('m'), [`memory.memsw.limit_in_bytes=${512 * MiB}`, `memory.limit_in_bytes=${256 * MiB}`]);
    t.fs.writes.length = 0;
    await h.setLimits(lim({ memory: '64m', 'memory-swap': '64m' }));
    assert.deepEqual(seq('m'), [`memory.limit_in_bytes=${64 * MiB}`, `memory.memsw.limit_in_bytes=${64 * MiB}`]);
    t.fs.writes.length = 0;
    await h.setLimits(NO_LIMITS);
    assert.deepEqual(seq('m'), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
    assert.equal(file('memory', 'm', 'memory.limit_in_bytes'), `${UNLIMITED}\n`);
    // The fixture enforces the kernel's rule, so the other order really would have failed:
    await h.setLimits(lim({ memory: '64m', 'memory-swap': '64m' }));
    assert.throws(() => t.fs.write(path.join(h.dirs[1]!, 'memory.limit_in_bytes'), String(256 * MiB)), /invalid argument \(EINVAL\)/);
  });

  it('memory extras: reservation, swappiness, OOM killer switch', async () => {
    const { b, file } = setup();
    await b.create('x', lim({ memory: '128m', 'memory-reservation': '64m', 'memory-swappiness': '10', 'oom-kill-disable': true }));
    assert.equal(file('memory', 'x', 'memory.soft_limit_in_bytes'), `${64 * MiB}\n`);
    assert.equal(file('memory', 'x', 'memory.swappiness'), '10\n');
    assert.equal(file('memory', 'x', 'memory.oom_control'), '1\n');
  });

  it('cpu: quota/period, shares, and the kernel\'s clamp of shares is an error', async () => {
    const { b, file } = setup();
    const h = await b.create('c', lim({ cpus: '0.5', 'cpu-shares': '512' }));
    assert.equal(file('cpu', 'c', 'cpu.cfs_quota_us'), '50000\n');
    assert.equal(file('cpu', 'c', 'cpu.cfs_period_us'), '100000\n');
    assert.equal(file('cpu', 'c', 'cpu.shares'), '512\n');
    await h.setLimits(lim({ 'cpu-period': '50000', 'cpu-quota': '20000' }));
    assert.deepEqual([file('cpu', 'c', 'cpu.cfs_period_us'), file('cpu', 'c', 'cpu.cfs_quota_us'), file('cpu', 'c', 'cpu.shares')], ['50000\n', '20000\n', '1024\n']);
    await assert.rejects(h.setLimits(lim({ 'cpu-shares': '1' })), (e: unknown) => e instanceof LimitsError && e.message === 'the minimum allowed cpu-shares is 2');
    assert.equal(file('cpu', 'c', 'cpu.shares'), '1024\n', 'undone');
    await assert.rejects(h.setLimits(lim({ 'cpu-shares': '300000' })), /^LimitsError: the maximum allowed cpu-shares is 262144$/);
  });

  it('cpuset, pids, blkio (BFQ weight; throttles as "MAJ:MIN N", 0 removes)', async () => {
    const { b, file } = setup();
    const h = await b.create('d', lim({ 'cpuset-cpus': '1', 'pids-limit': '20', 'blkio-weight': '300', 'device-write-bps': '/dev/vda:1mb', 'device-read-iops': '/dev/vda:50' }));
    assert.equal(file('cpuset', 'd', 'cpuset.cpus'), '1\n');
    assert.equal(file('pids', 'd', 'pids.max'), '20\n');
    assert.equal(file('blkio', 'd', 'blkio.bfq.weight'), '300\n');
    assert.equal(file('blkio', 'd', 'blkio.throttle.write_bps_device'), '254:0 1048576\n');
    assert.equal(file('blkio', 'd', 'blkio.throttle.read_iops_device'), '254:0 50\n');
    await h.setLimits(lim({ 'cpuset-cpus': '1', 'device-read-iops': '/dev/vda:50' }));
    assert.equal(file('blkio', 'd', 'blkio.throttle.write_bps_device'), '');
    assert.equal(file('pids', 'd', 'pids.max'), 'max\n');
  });

  it('stats: the recorded files of a live workload', async () => {
    const { b } = setup();
    const h = await b.create('s', lim({ memory: '64m' }));
    const { stats, errors } = await h.stats();
    assert.deepEqual(errors, []);
    assert.deepEqual(stats.cpu, { usageNs: 425483247, userNs: 300000000, systemNs: 120000000, periods: 10, throttledPeriods: 7, throttledNs: 342944779 });
    assert.deepEqual(stats.memory, {
      usage: 29655040, workingSet: 29655040 - 1048576, rss: 28123136, cache: 1056768, swap: 0, maxUsage: 29708288,
      limit: 64 * MiB, failcnt: 0, oomEvents: null, oomKills: 0,
    });
    assert.deepEqual(stats.io.devices, [{ major: 254, minor: 0, readBytes: 1048576, writeBytes: 1048576, reads: 5, writes: 16 }]);
    assert.deepEqual(stats.pids, { current: 2, limit: null });
  });

  it('refusals: a hierarchy not mounted, no swap accounting; nothing is created', async () => {
    const { t, b } = setup(({ pids: _p, ...rest }) => rest);
    await assert.rejects(b.create('p', lim({ 'pids-limit': '20' })), /^LimitsError: --pids-limit: the pids cgroup controller is not mounted \(cgroup v1\)$/);
    fs.rmSync(path.join(t.mounts.memory!, 'corral', 'memory.memsw.limit_in_bytes'));
    await assert.rejects(b.create('s', lim({ memory: '64m' })), /--memory-swap: this kernel does not account swap per cgroup/);
    assert.deepEqual(b.list(), []);
  });

  it('EBUSY on lowering memory below usage says so; ENOSPC on join explains cpuset', async () => {
    const t = v1Tree();
    trees.push(t);
    const faulty = withFaults(t.fs, [{ op: 'write', file: 'memory.limit_in_bytes', code: 'EBUSY', value: String(8 * MiB), times: 1 }]);
    const b = new V1Backend({ mounts: t.mounts, parent: 'corral', fs: faulty });
    const h = await b.create('b', lim({ memory: '64m', 'memory-swap': '-1' }));
    await assert.rejects(h.setLimits(lim({ memory: '8m', 'memory-swap': '-1' })), (e: unknown) => {
      assert.ok(e instanceof CgroupLimitError);
      assert.match(e.message, /^cannot write "8388608" to .*memory\.limit_in_bytes: device or resource busy \(EBUSY\): unable to set memory limit to 8388608 \(current usage: 29655040, peak usage: 29708288\)$/);
      return true;
    });
    faulty.faults.push({ op: 'write', file: 'cpuset/corral/b/cgroup.procs', code: 'ENOSPC' });
    await assert.rejects(h.join(123), /cgroup\.procs: no space left on device \(ENOSPC\): the cgroup's cpuset\.cpus or cpuset\.mems is empty/);
  });

  it('adopt reads limits back; destroy removes every hierarchy; leftovers cleaned', async () => {
    const { t, b } = setup();
    const l = lim({ memory: '64m', 'cpu-quota': '20000', 'pids-limit': '9', 'device-write-bps': '/dev/vda:1mb', 'cpuset-cpus': '1' });
    const h = await b.create('a', l);
    const back = (await b.adopt('a')).limits;
    assert.deepEqual([back.memory, back.memorySwap, back.cpuQuota, back.cpuPeriod, back.pidsLimit, back.cpusetCpus], [64 * MiB, 128 * MiB, 20000, 100000, 9, '1']);
    assert.deepEqual(back.deviceWriteBps.map((d) => `${d.major}:${d.minor} ${d.rate}`), ['254:0 1048576']);
    await b.create('left', NO_LIMITS);
    await h.destroy();
    for (const m of Object.values(t.mounts)) assert.equal(fs.existsSync(path.join(m, 'corral', 'a')), false);
    assert.deepEqual(await b.cleanupLeftovers(), { removed: ['left'], busy: [] });
    assert.deepEqual(b.list(), []);
  });
});
