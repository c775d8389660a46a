import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { devNumbers, statBlockDevice } from '../../engine/cgroups/devices';
import { toHostConfig } from '../../engine/cgroups/hostconfig';
import {
  cfsOf, HostInfo, Limits, LimitsError, mergeUpdate, NO_LIMITS, parseLimits, parseUpdate, ResourceFlags,
} from '../../engine/cgroups/limits';

const DEVICES: Record<string, [number, number]> = { '/dev/vda': [254, 0], '/dev/sdb': [8, 16] };
const host: HostInfo = {
  ncpu: 2, cpus: '0-1', mems: '0', swapLimit: true,
  statDevice: (p) => {
    const d = DEVICES[p];
    if (!d) throw new Error(`stat ${p}: no such file or directory`);
    return { major: d[0], minor: d[1] };
  },
};

const parse = (f: ResourceFlags, h: HostInfo = host) => parseLimits(f, h).limits;

/** Asserts that parsing f fails with exactly msg, as a LimitsError naming flag. */
function refused(f: ResourceFlags, msg: string, flag?: string, h: HostInfo = host) {
  assert.throws(() => parseLimits(f, h), (e: unknown) => {
    assert.ok(e instanceof LimitsError, `not a LimitsError: ${String(e)}`);
    assert.equal(e.message, msg);
    assert.equal(e.exitCode, 125);
    if (flag) assert.equal(e.flag, flag);
    return true;
  });
}

const MiB = 1024 * 1024;

describe('parseLimits: units and defaults', () => {
  it('reads memory sizes in binary units and doubles the memory for an unset swap', () => {
    const l = parse({ memory: '256m', 'memory-reservation': '128m' });
    assert.equal(l.memory, 256 * MiB);
    assert.equal(l.memorySwap, 512 * MiB);
    assert.equal(l.memoryReservation, 128 * MiB);
    assert.equal(parse({ m: '1g' }).memory, 1024 * MiB);
    assert.equal(parse({ memory: '6144k' }).memory, 6 * MiB);
  });

  it('--memory-swap -1 is unlimited swap (null), a value is memory+swap', () => {
    assert.equal(parse({ memory: '64m', 'memory-swap': '-1' }).memorySwap, null);
    assert.equal(parse({ memory: '64m', 'memory-swap': '96m' }).memorySwap, 96 * MiB);
  });

  it('nothing given: no limits at all', () => {
    assert.deepEqual(parse({}), NO_LIMITS);
  });

  it('--cpus becomes nano-CPUs, and period 100000 with a matching quota', () => {
    const l = parse({ cpus: '1.5' });
    assert.equal(l.nanoCpus, 1_500_000_000);
    assert.deepEqual(cfsOf(l), { period: 100000, quota: 150000 });
    assert.deepEqual(cfsOf(parse({ cpus: '0.5' })), { period: 100000, quota: 50000 });
    assert.equal(parse({ cpus: '3/2' }).nanoCpus, 1_500_000_000);
    assert.equal(parse({ cpus: '5e-1' }).nanoCpus, 500_000_000);
    assert.equal(parse({ cpus: '0' }).nanoCpus, null);
  });

  it('period and quota as given; a negative quota is unlimited', () => {
    assert.deepEqual(cfsOf(parse({ 'cpu-period': '50000', 'cpu-quota': '25000' })), { period: 50000, quota: 25000 });
    assert.equal(parse({ 'cpu-quota': '-1' }).cpuQuota, null);
  });

  it('device flags resolve paths to MAJ:MIN with the rate in bytes or ops', () => {
    const l = parse({
      'device-write-bps': ['/dev/vda:10mb', '/dev/sdb:1gb'], 'device-read-bps': '/dev/vda:512kb',
      'device-read-iops': '/dev/vda:500', 'blkio-weight-device': '/dev/vda:300', 'blkio-weight': '300',
    });
    assert.deepEqual(l.deviceWriteBps, [
      { path: '/dev/vda', major: 254, minor: 0, rate: 10 * MiB },
      { path: '/dev/sdb', major: 8, minor: 16, rate: 1024 * MiB },
    ]);
    assert.deepEqual(l.deviceReadBps, [{ path: '/dev/vda', major: 254, minor: 0, rate: 512 * 1024 }]);
    assert.deepEqual(l.deviceReadIops, [{ path: '/dev/vda', major: 254, minor: 0, rate: 500 }]);
    assert.deepEqual(l.blkioWeightDevice, [{ path: '/dev/vda', major: 254, minor: 0, weight: 300 }]);
    assert.equal(l.blkioWeight, 300);
  });

  it('pids limit: zero or less is unlimited', () => {
    assert.equal(parse({ 'pids-limit': '20' }).pidsLimit, 20);
    assert.equal(parse({ 'pids-limit': '0' }).pidsLimit, null);
    assert.equal(parse({ 'pids-limit': '-1' }).pidsLimit, null);
  });

  it('the rest: shares, cpusets, swappiness, OOM switch (with dockerd\'s warning)', () => {
    const { limits: l, warnings } = parseLimits({ c: '512', 'cpuset-cpus': '0-1', 'cpuset-mems': '0', 'memory-swappiness': '10', 'oom-kill-disable': true }, host);
    assert.deepEqual([l.cpuShares, l.cpusetCpus, l.cpusetMems, l.memorySwappiness, l.oomKillDisable], [512, '0-1', '0', 10, true]);
    assert.match(warnings.join(), /OOM killer is disabled for the container, but no memory limit is set/);
    assert.equal(parse({ 'memory-swappiness': '-1' }).memorySwappiness, null);
  });
});

describe('parseLimits: Docker\'s messages', () => {
  it('memory', () => {
    refused({ memory: '4m' }, 'Minimum memory limit allowed is 6MB', 'memory');
    refused({ memory: '64m', 'memory-swap': '32m' }, 'Minimum memoryswap limit should be larger than memory limit, see usage', 'memory-swap');
    refused({ 'memory-swap': '64m' }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
    refused({ 'memory-swappiness': '101' }, 'Invalid value: 101, valid memory swappiness range is 0-100');
    refused({ 'memory-reservation': '1m' }, 'Minimum memory reservation allowed is 6MB');
    refused({ memory: '64m', 'memory-reservation': '128m' }, 'Minimum memory limit can not be less than memory reservation limit, see usage');
    refused({ memory: 'abc' }, 'invalid argument "abc" for "-m, --memory" flag: invalid size: \'abc\'', 'memory');
  });

  it('cpu', () => {
    refused({ cpus: '1', 'cpu-period': '50000' }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set', 'cpus');
    refused({ cpus: '1', 'cpu-quota': '50000' }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    refused({ cpus: '3' }, 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available', 'cpus');
    refused({ cpus: '-1' }, 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    refused({ cpus: 'abc' }, 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
    refused({ cpus: '0.0000000001' }, 'invalid argument "0.0000000001" for "--cpus" flag: value is too precise');
    refused({ 'cpu-period': '500' }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)', 'cpu-period');
    refused({ 'cpu-period': '2000000' }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    refused({ 'cpu-quota': '500' }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)', 'cpu-quota');
    refused({ c: '-5' }, 'invalid CPU shares (-5): value must be a positive integer', 'cpu-shares');
    refused({ 'cpu-shares': 'x' }, 'invalid argument "x" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "x": invalid syntax');
  });

  it('cpuset', () => {
    refused({ 'cpuset-cpus': '9' }, 'Requested CPUs are not available - requested 9, available: 0-1', 'cpuset-cpus');
    refused({ 'cpuset-cpus': 'a' }, 'Invalid value a for cpuset cpus: invalid format: a', 'cpuset-cpus');
    refused({ 'cpuset-cpus': '3-1' }, 'Invalid value 3-1 for cpuset cpus: invalid format: 3-1');
    refused({ 'cpuset-cpus': '9000' }, 'Invalid value 9000 for cpuset cpus: value of out range, maximum is 8192');
    refused({ 'cpuset-mems': '1' }, 'Requested memory nodes are not available - requested 1, available: 0', 'cpuset-mems');
    refused({ 'cpuset-mems': 'x' }, 'Invalid value x for cpuset mems: invalid format: x');
  });

  it('blkio and devices', () => {
    refused({ 'blkio-weight': '5' }, 'Range of blkio weight is from 10 to 1000', 'blkio-weight');
    refused({ 'blkio-weight': '70000' }, 'invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range');
    refused({ 'blkio-weight-device': '/dev/vda:5' }, 'invalid argument "/dev/vda:5" for "--blkio-weight-device" flag: invalid weight for device: /dev/vda:5');
    refused({ 'device-write-bps': '/dev/vda:abc' },
      'invalid argument "/dev/vda:abc" for "--device-write-bps" flag: invalid rate for device: /dev/vda:abc. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb',
      'device-write-bps');
    refused({ 'device-read-iops': '/dev/vda:1.5' },
      'invalid argument "/dev/vda:1.5" for "--device-read-iops" flag: invalid rate for device: /dev/vda:1.5. The correct format is <device-path>:<number>. Number must be a positive integer');
    refused({ 'device-write-bps': 'vda:1mb' }, 'invalid argument "vda:1mb" for "--device-write-bps" flag: bad format for device path: vda:1mb');
    refused({ 'device-write-bps': '/dev/vda' }, 'invalid argument "/dev/vda" for "--device-write-bps" flag: bad format: /dev/vda');
    refused({ 'device-write-bps': '/dev/nope:1mb' }, 'stat /dev/nope: no such file or directory', 'device-write-bps');
  });

  it('closed set of flags; swap refused where the kernel cannot limit it', () => {
    refused({ 'kernel-memory': '10m' } as ResourceFlags, 'unknown flag: --kernel-memory');
    const noSwap = { ...host, swapLimit: false };
    refused({ memory: '64m', 'memory-swap': '128m' }, 'Your kernel does not support swap limit capabilities or the cgroup is not mounted: --memory-swap cannot be honoured (use --memory-swap -1)', 'memory-swap', noSwap);
    const { limits, warnings } = parseLimits({ memory: '64m' }, noSwap);
    assert.equal(limits.memorySwap, null);
    assert.deepEqual(warnings, ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.']);
  });
});

describe('HostConfig', () => {
  it('shows Limits with Docker\'s names and zero values', () => {
    const h = toHostConfig(parse({ memory: '64m', cpus: '1.5', 'device-write-bps': '/dev/vda:1mb', 'pids-limit': '20' }));
    assert.deepEqual([h.Memory, h.MemorySwap, h.NanoCpus, h.CpuQuota, h.PidsLimit, h.MemorySwappiness, h.OomKillDisable], [64 * MiB, 128 * MiB, 1.5e9, 0, 20, null, false]);
    assert.deepEqual(h.BlkioDeviceWriteBps, [{ Path: '/dev/vda', Rate: MiB }]);
    assert.equal(toHostConfig(parse({ memory: '64m', 'memory-swap': '-1' })).MemorySwap, -1);
    assert.deepEqual([toHostConfig(NO_LIMITS).MemorySwap, toHostConfig(NO_LIMITS).PidsLimit], [0, null]);
  });
});

describe('device numbers', () => {
  it('splits a dev_t as glibc does', () => {
    assert.deepEqual(devNumbers(0xfe00n), { major: 254, minor: 0 });
    assert.deepEqual(devNumbers(0x810n), { major: 8, minor: 16 });
    assert.deepEqual(devNumbers((259n << 8n) | 1n), { major: 259, minor: 1 });
    assert.deepEqual(devNumbers((4096n << 32n) | (0x2000n << 12n) | 3n), { major: 4096, minor: 0x2003 });
  });

  it('stat of a real block device, and refusals', (t) => {
    if (!fs.existsSync('/dev/vda')) return t.skip('no /dev/vda on this machine');
    assert.deepEqual(statBlockDevice('/dev/vda'), { major: 254, minor: 0 });
    assert.throws(() => statBlockDevice('/dev/null'), /\/dev\/null is not a block device/);
    assert.throws(() => statBlockDevice('/dev/corral-nope'), /^Error: stat \/dev\/corral-nope: no such file or directory$/);
  });
});

describe('update: parseUpdate + mergeUpdate', () => {
  const base = (): Limits => parse({ memory: '64m', cpus: '1' }); // swap 128m
  const upd = (f: ResourceFlags) => parseUpdate(f, host).changes;

  it('zero or empty means "leave it"; -1 swap and pids <= 0 mean unlimited', () => {
    assert.deepEqual(upd({ cpus: '0', memory: '0', 'cpuset-cpus': '', 'blkio-weight': '0' }), {});
    assert.deepEqual(upd({ 'memory-swap': '-1', 'pids-limit': '-1' }), { memorySwap: null, pidsLimit: null });
  });

  it('only the flags docker update has', () => {
    assert.throws(() => parseUpdate({ 'oom-kill-disable': true }, host), /^LimitsError: unknown flag: --oom-kill-disable$/);
    assert.throws(() => parseUpdate({ memory: '4m' }, host), /Minimum memory limit allowed is 6MB/);
  });

  it('raising memory above memory+swap needs the swap raised in the same call', () => {
    const cur = base();
    assert.throws(() => mergeUpdate(cur, upd({ memory: '256m' })),
      (e: unknown) => e instanceof LimitsError && e.message === 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    const next = mergeUpdate(cur, upd({ memory: '256m', 'memory-swap': '512m' }));
    assert.deepEqual([next.memory, next.memorySwap], [256 * MiB, 512 * MiB]);
    const within = mergeUpdate(cur, upd({ memory: '100m' }));
    assert.deepEqual([within.memory, within.memorySwap], [100 * MiB, 128 * MiB]);
    const unlimitedSwap = mergeUpdate(parse({ memory: '64m', 'memory-swap': '-1' }), upd({ memory: '1g' }));
    assert.equal(unlimitedSwap.memory, 1024 * MiB);
  });

  it('--cpus against period/quota already set, and the reverse', () => {
    const nano = base();
    const cfs = parse({ 'cpu-period': '50000', 'cpu-quota': '25000' });
    const msg = (m: string) => (e: unknown) => e instanceof LimitsError && e.message === `Conflicting options: ${m}`;
    assert.throws(() => mergeUpdate(cfs, upd({ cpus: '0.5' })), msg('Nano CPUs cannot be updated as CPU Period has already been set'));
    assert.throws(() => mergeUpdate(parse({ 'cpu-quota': '25000' }), upd({ cpus: '0.5' })), msg('Nano CPUs cannot be updated as CPU Quota has already been set'));
    assert.throws(() => mergeUpdate(nano, upd({ 'cpu-period': '50000' })), msg('CPU Period cannot be updated as NanoCPUs has already been set'));
    assert.throws(() => mergeUpdate(nano, upd({ 'cpu-quota': '50000' })), msg('CPU Quota cannot be updated as NanoCPUs has already been set'));
    assert.equal(mergeUpdate(nano, upd({ cpus: '0.5' })).nanoCpus, 500_000_000);
    assert.deepEqual(cfsOf(mergeUpdate(cfs, upd({ 'cpu-quota': '-1' }))), { period: 50000, quota: null });
    assert.throws(() => parseUpdate({ cpus: '1', 'cpu-period': '10000' }, host), /Conflicting options: Nano CPUs and CPU Period cannot both be set/);
  });

  it('the result must still hold together; a refused update changes nothing', () => {
    const cur = base();
    const snapshot = structuredClone(cur);
    assert.throws(() => mergeUpdate(cur, upd({ 'memory-swap': '32m' })), /Minimum memoryswap limit should be larger than memory limit, see usage/);
    assert.throws(() => mergeUpdate(parse({ cpus: '1' }), upd({ 'memory-swap': '1g' })), /You should always set the Memory limit when using Memoryswap limit/);
    assert.throws(() => mergeUpdate(cur, upd({ 'memory-reservation': '100m' })), /Minimum memory limit can not be less than memory reservation limit/);
    assert.throws(() => mergeUpdate(cur, upd({ memory: '256m', cpus: '0.5', 'cpu-period': '20000' })));
    assert.deepEqual(cur, snapshot);
    const next = mergeUpdate(cur, upd({ 'cpu-shares': '512', 'pids-limit': '100', 'blkio-weight': '200', 'cpuset-cpus': '1' }));
    assert.deepEqual([next.cpuShares, next.pidsLimit, next.blkioWeight, next.cpusetCpus, next.memory], [512, 100, 200, '1', 64 * MiB]);
  });
});
