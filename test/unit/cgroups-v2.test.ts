import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sharesToWeight, blkioToIoWeight } from '../../engine/cgroups/convert';
import { withFaults } from '../../engine/cgroups/fsutil';
import { CgroupLimitError } from '../../engine/cgroups/handle';
import { HostInfo, Limits, LimitsError, NO_LIMITS, parseLimits, ResourceFlags } from '../../engine/cgroups/limits';
import { watchOom } from '../../engine/cgroups/oom';
import { V2Backend } from '../../engine/cgroups/v2/backend';
import { Tree, v2Tree } from '../fixtures/cgroupfs/fixturefs';

const host: HostInfo = {
  ncpu: 2, cpus: '0-1', mems: '0', swapLimit: true,
  statDevice: (p) => (p === '/dev/vda' ? { major: 254, minor: 0 } : { major: 8, minor: 16 }),
};
const lim = (f: ResourceFlags, h = host): Limits => parseLimits(f, h).limits;
const MiB = 1024 * 1024;

let trees: Tree[] = [];
afterEach(() => { for (const t of trees) t.cleanup(); trees = []; });

function setup(variant: 'v2' | 'v2-partial' = 'v2') {
  const t = v2Tree(variant);
  trees.push(t);
  const b = new V2Backend({ root: t.root, parent: 'corral', fs: t.fs });
  const file = (name: string, f: string) => fs.readFileSync(path.join(t.root, 'corral', name, f), 'utf8');
  return { t, b, file };
}

describe('convert (runc 1.4)', () => {
  it('cpu.weight from shares on the log scale: 1024 -> 100', () => {
    const table: Array<[number, number]> = [[2, 1], [10, 4], [100, 17], [256, 35], [512, 59], [1024, 100], [2048, 174], [4096, 303], [262144, 10000], [1, 1]];
    for (const [s, w] of table) assert.equal(sharesToWeight(s), w, `shares ${s}`);
  });
  it('io.weight from blkio weight, linear', () => {
    assert.deepEqual([10, 100, 500, 1000].map(blkioToIoWeight), [1, 910, 4950, 10000]);
  });
});

describe('v2 backend on a fixture tree', () => {
  it('create switches the controllers on in our parent and writes nothing for no limits', async () => {
    const { t, b } = setup();
    const h = await b.create('w1', NO_LIMITS);
    assert.equal(h.path, '/corral/w1');
    assert.deepEqual(h.dirs, [path.join(t.root, 'corral', 'w1')]);
    assert.deepEqual(h.procsFiles(), [path.join(t.root, 'corral', 'w1', 'cgroup.procs')]);
    assert.deepEqual(t.fs.written('cgroup.subtree_control'), ['+cpuset +memory +cpu +io +pids']);
    assert.deepEqual(t.fs.writes.filter((w) => w.file.includes('w1')), []);
    assert.equal(fs.readFileSync(path.join(t.root, 'cgroup.subtree_control'), 'utf8'), 'cpuset cpu io memory pids\n', 'the root is never written');
  });

  it('memory: memory.swap.max is swap alone, written first; memory.low for the reservation', async () => {
    const { t, b, file } = setup();
    await b.create('m', lim({ memory: '256m', 'memory-swap': '512m', 'memory-reservation': '128m' }));
    assert.deepEqual(t.fs.writes.filter((w) => w.file.includes('/m/')).map((w) => [path.basename(w.file), w.value]), [
      ['memory.swap.max', String(256 * MiB)], ['memory.max', String(256 * MiB)], ['memory.low', String(128 * MiB)],
    ]);
    assert.equal(file('m', 'memory.max'), `${256 * MiB}\n`);
    await b.create('eq', lim({ memory: '64m', 'memory-swap': '64m' }));
    assert.equal(file('eq', 'memory.swap.max'), '0\n');
    await b.create('unl', lim({ memory: '64m', 'memory-swap': '-1' }));
    assert.equal(file('unl', 'memory.swap.max'), 'max\n');
    await b.create('dflt', lim({ memory: '64m' }));
    assert.equal(file('dflt', 'memory.swap.max'), `${64 * MiB}\n`, 'unset swap = twice the memory, so swap alone = memory');
  });

  it('cpu: cpu.max "quota period" and cpu.weight converted from shares', async () => {
    const { b, file } = setup();
    await b.create('a', lim({ cpus: '0.5' }));
    assert.equal(file('a', 'cpu.max'), '50000 100000\n');
    await b.create('b', lim({ 'cpu-period': '50000', 'cpu-quota': '25000' }));
    assert.equal(file('b', 'cpu.max'), '25000 50000\n');
    await b.create('c', lim({ 'cpu-quota': '25000' }));
    assert.equal(file('c', 'cpu.max'), '25000 100000\n');
    await b.create('d', lim({ 'cpu-period': '20000' }));
    assert.equal(file('d', 'cpu.max'), 'max 20000\n');
    for (const [s, w] of [[512, 59], [2048, 174], [2, 1]] as const) {
      await b.create(`s${s}`, lim({ 'cpu-shares': String(s) }));
      assert.equal(file(`s${s}`, 'cpu.weight'), `${w}\n`);
    }
  });

  it('cpuset, pids', async () => {
    const { b, file } = setup();
    await b.create('x', lim({ 'cpuset-cpus': '1', 'cpuset-mems': '0', 'pids-limit': '20' }));
    assert.equal(file('x', 'cpuset.cpus'), '1\n');
    assert.equal(file('x', 'cpuset.mems'), '0\n');
    assert.equal(file('x', 'pids.max'), '20\n');
  });

  it('io: one io.max line per device with every key; BFQ weight raw, io.weight converted', async () => {
    const { t, b, file } = setup();
    await b.create('r', lim({ 'device-read-bps': '/dev/vda:1mb' }));
    assert.deepEqual(t.fs.written('io.max'), ['254:0 rbps=1048576 wbps=max riops=max wiops=max']);
    assert.equal(file('r', 'io.max'), '254:0 rbps=1048576 wbps=max riops=max wiops=max\n');
    await b.create('all', lim({
      'device-read-bps': '/dev/vda:1mb', 'device-write-bps': ['/dev/vda:2mb', '/dev/sdb:3mb'],
      'device-read-iops': '/dev/vda:100', 'device-write-iops': '/dev/vda:200',
    }));
    assert.equal(file('all', 'io.max'), '254:0 rbps=1048576 wbps=2097152 riops=100 wiops=200\n8:16 rbps=max wbps=3145728 riops=max wiops=max\n');
    await b.create('w', lim({ 'blkio-weight': '300', 'blkio-weight-device': '/dev/vda:200' }));
    assert.deepEqual(t.fs.written('io.bfq.weight'), ['300', '254:0 200']);
    assert.equal(file('w', 'io.bfq.weight'), 'default 300\n254:0 200\n');
    fs.rmSync(path.join(t.root, 'corral', 'w', 'io.bfq.weight'));
    const h = await b.adopt('w', NO_LIMITS);
    await assert.rejects(h.setLimits(lim({ 'blkio-weight': '300', 'blkio-weight-device': '/dev/vda:200' })), /per-device weights/);
    await h.setLimits(lim({ 'blkio-weight': '300' }));
    assert.equal(file('w', 'io.weight'), `default ${blkioToIoWeight(300)}\n`);
  });

  it('update changes the files; a removed device limit goes back to max', async () => {
    const { b, file } = setup();
    const h = await b.create('u', lim({ memory: '64m', cpus: '1', 'device-write-bps': '/dev/vda:1mb' }));
    await h.setLimits(lim({ memory: '512m', 'memory-swap': '1g', cpus: '0.5' }));
    assert.equal(file('u', 'memory.max'), `${512 * MiB}\n`);
    assert.equal(file('u', 'memory.swap.max'), `${512 * MiB}\n`);
    assert.equal(file('u', 'cpu.max'), '50000 100000\n');
    assert.equal(file('u', 'io.max'), '');
    await h.setLimits(NO_LIMITS);
    assert.equal(file('u', 'memory.max'), 'max\n');
    assert.equal(file('u', 'cpu.max'), 'max 100000\n');
    assert.deepEqual(h.limits, NO_LIMITS);
  });

  it('refuses what v2 cannot do, naming the flag, and creates nothing', async () => {
    const { b } = setup();
    const refusal = async (l: Limits, re: RegExp, flag: string) => {
      await assert.rejects(b.create('no', l), (e: unknown) => e instanceof LimitsError && re.test(e.message) && e.flag === flag);
      assert.deepEqual(b.list(), []);
    };
    await refusal(lim({ memory: '64m', 'oom-kill-disable': true }), /^--oom-kill-disable: not supported on cgroup v2/, 'oom-kill-disable');
    await refusal(lim({ 'memory-swappiness': '10' }), /^--memory-swappiness: not supported on cgroup v2/, 'memory-swappiness');
  });

  it('missing controllers and no swap accounting: refused with the reason', async () => {
    const { b, t } = setup('v2-partial');
    const noSwap = { ...host, swapLimit: false };
    await assert.rejects(b.create('x', lim({ 'device-write-bps': '/dev/vda:1mb' })),
      new RegExp(`^LimitsError: --device-write-bps: the io controller is not enabled in ${t.root}/corral/cgroup.subtree_control`));
    await assert.rejects(b.create('x', lim({ 'cpuset-cpus': '1' })), /--cpuset-cpus: the cpuset controller is not enabled/);
    await assert.rejects(b.create('x', { ...lim({ memory: '64m' }), memorySwap: 128 * MiB }), /--memory-swap: this kernel does not account swap per cgroup \(memory.swap.max is missing\)/);
    const h = await b.create('ok', lim({ memory: '64m', 'pids-limit': '30' }, noSwap));
    assert.equal(fs.readFileSync(path.join(h.dirs[0]!, 'memory.max'), 'utf8'), `${64 * MiB}\n`);
  });

  it('stats: every field parsed from the kernel\'s files', async () => {
    const { b } = setup();
    const h = await b.create('s', NO_LIMITS);
    const { stats, errors } = await h.stats();
    assert.deepEqual(errors, []);
    assert.deepEqual(stats.cpu, { usageNs: 1510230000, userNs: 1470112000, systemNs: 40118000, periods: 31, throttledPeriods: 30, throttledNs: 1232427000 });
    assert.deepEqual(stats.memory, {
      usage: 29655040, workingSet: 29655040 - 1048576, rss: 28123136, cache: 1056768, swap: 4096, maxUsage: 30212096,
      limit: null, failcnt: 7, oomEvents: 2, oomKills: 1,
    });
    assert.deepEqual(stats.io.devices, [
      { major: 254, minor: 0, readBytes: 90112, writeBytes: 1048576, reads: 2, writes: 16 },
      { major: 7, minor: 0, readBytes: 4096, writeBytes: 0, reads: 1, writes: 0 },
    ]);
    assert.deepEqual(stats.pids, { current: 2, limit: null });
    await h.setLimits(lim({ memory: '64m', 'pids-limit': '20' }));
    const again = h.statsSync([]);
    assert.deepEqual([again.memory.limit, again.pids.limit], [64 * MiB, 20]);
  });

  it('stats without controllers, without optional files, and with a file gone', async () => {
    const { b } = setup('v2-partial');
    const h = await b.create('p', NO_LIMITS);
    let r = await h.stats();
    assert.deepEqual(r.errors, []);
    assert.equal(r.stats.memory.maxUsage, null, 'no memory.peak before 5.19: quietly null');
    assert.equal(r.stats.memory.workingSet, 0, 'inactive_file above usage floors at 0');
    assert.equal(r.stats.memory.swap, null);
    assert.deepEqual(r.stats.io.devices, []);
    fs.rmSync(path.join(h.dirs[0]!, 'memory.stat'));
    h.close();
    r = await h.stats();
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, /memory\.stat: no such file or directory \(ENOENT\)/);
    assert.equal(r.stats.memory.rss, null);
    assert.equal(r.stats.memory.usage, 1048576);
  });

  it('all or nothing: a refused write undoes the earlier ones', async () => {
    const t = v2Tree();
    trees.push(t);
    const faulty = withFaults(t.fs, []);
    const b = new V2Backend({ root: t.root, parent: 'corral', fs: faulty });
    const h = await b.create('aon', lim({ memory: '64m', 'pids-limit': '50' }));
    const before = h.limits;
    faulty.faults.push({ op: 'write', file: 'pids.max', code: 'EINVAL', times: 1 });
    await assert.rejects(h.setLimits(lim({ memory: '128m', cpus: '0.5', 'pids-limit': '10' })), (e: unknown) => {
      assert.ok(e instanceof CgroupLimitError);
      assert.match(e.message, /^cannot write "10" to .*\/corral\/aon\/pids\.max: invalid argument \(EINVAL\)$/);
      return true;
    });
    const dir = h.dirs[0]!;
    assert.equal(fs.readFileSync(path.join(dir, 'memory.max'), 'utf8'), `${64 * MiB}\n`);
    assert.equal(fs.readFileSync(path.join(dir, 'cpu.max'), 'utf8'), 'max 100000\n');
    assert.equal(fs.readFileSync(path.join(dir, 'pids.max'), 'utf8'), '50\n');
    assert.deepEqual(h.limits, before);
  });

  it('join writes the pid; adopt reads the limits back; OOM kills counted until destroy', async () => {
    const { t, b } = setup();
    const l = lim({ memory: '256m', 'memory-swap': '512m', 'memory-reservation': '64m', 'cpu-period': '50000', 'cpu-quota': '25000', 'cpu-shares': '512', 'pids-limit': '7', 'device-read-bps': '/dev/vda:1mb' });
    const h = await b.create('j', l);
    await h.join(4242);
    assert.deepEqual(h.pids(), [4242]);
    const a = await b.adopt('j');
    const back = a.limits;
    assert.deepEqual([back.memory, back.memorySwap, back.memoryReservation, back.cpuPeriod, back.cpuQuota, back.pidsLimit],
      [l.memory, l.memorySwap, l.memoryReservation, 50000, 25000, 7]);
    assert.equal(sharesToWeight(back.cpuShares!), 59, 'weight is lossy: any shares that give the same weight');
    assert.deepEqual(back.deviceReadBps.map((d) => [d.major, d.minor, d.rate]), [[254, 0, MiB]]);
    const kills: Array<[number, number]> = [];
    const w = watchOom(h, { onKill: (total, added) => kills.push([total, added]), intervalMs: 60_000, fs: t.fs })!;
    assert.equal(w.total, 1, 'the baseline is what the counter says when watching starts');
    const events = path.join(h.dirs[0]!, 'memory.events');
    fs.writeFileSync(events, 'low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\noom_group_kill 0\n');
    assert.equal(w.check(), 3);
    assert.deepEqual(kills, [[3, 2]]);
    fs.writeFileSync(events, 'low 0\nhigh 0\nmax 9\noom 4\noom_kill 4\noom_group_kill 0\n');
    fs.writeFileSync(path.join(h.dirs[0]!, 'cgroup.procs'), '');
    await h.destroy();
    assert.deepEqual(kills, [[3, 2], [4, 1]], 'destroy takes a last reading first');
    assert.equal(fs.existsSync(h.dirs[0]!), false);
  });

  it('cleanupLeftovers removes only our empty cgroups', async () => {
    const { t, b } = setup();
    await b.create('gone', NO_LIMITS);
    const busy = await b.create('busy', NO_LIMITS);
    await b.create('kept', NO_LIMITS);
    await busy.join(99);
    fs.mkdirSync(path.join(t.root, 'someone-else'));
    const r = await b.cleanupLeftovers(['kept']);
    assert.deepEqual(r, { removed: ['gone'], busy: ['busy'] });
    assert.deepEqual(b.list(), ['busy', 'kept']);
    assert.ok(fs.existsSync(path.join(t.root, 'someone-else')));
    await assert.rejects(b.create('../escape', NO_LIMITS), /invalid cgroup name/);
  });
});
