import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CgroupFsError, openFileCount, realFs, setOpenFileBudget, withFaults } from '../../engine/cgroups/fsutil';
import { blkioV1, ioStatV2, kv, limit } from '../../engine/cgroups/statparse';
import { DeviceIo } from '../../engine/cgroups/types';

let dirs: string[] = [];
afterEach(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); dirs = []; });
const tmp = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-fsutil-')); dirs.push(d); return d; };

describe('fsutil', () => {
  it('errors name the file, the value and the errno', () => {
    const d = tmp();
    const f = path.join(d, 'memory.limit_in_bytes');
    fs.writeFileSync(f, '0\n');
    const faulty = withFaults(realFs, [
      { op: 'write', file: 'memory.limit_in_bytes', code: 'EBUSY', value: '1' },
      { op: 'write', file: 'memory.limit_in_bytes', code: 'EINVAL', value: /^-/ },
      { op: 'write', file: 'cgroup.procs', code: 'ENOSPC' },
    ]);
    assert.throws(() => faulty.write(f, '1'), { name: 'CgroupFsError', message: `cannot write "1" to ${f}: device or resource busy (EBUSY)` });
    assert.throws(() => faulty.write(f, '-5'), { message: `cannot write "-5" to ${f}: invalid argument (EINVAL)` });
    assert.throws(() => faulty.write(path.join(d, 'cgroup.procs'), '7'), { message: `cannot write "7" to ${path.join(d, 'cgroup.procs')}: no space left on device (ENOSPC)` });
    faulty.write(f, '42');
    assert.equal(fs.readFileSync(f, 'utf8'), '42');
  });

  it('never creates a file (cgroupfs cannot either); reads of a missing file say ENOENT', () => {
    const d = tmp();
    assert.throws(() => realFs.write(path.join(d, 'nope'), '1'), (e: unknown) => e instanceof CgroupFsError && e.code === 'ENOENT');
    assert.equal(fs.existsSync(path.join(d, 'nope')), false);
    assert.throws(() => realFs.open(path.join(d, 'nope')), /cannot open .*nope: no such file or directory \(ENOENT\)/);
    assert.equal(realFs.mkdir(path.join(d, 'x')), true);
    assert.equal(realFs.mkdir(path.join(d, 'x')), false);
  });

  it('a kept-open reader sees each new content from offset 0, at any size', () => {
    const f = path.join(tmp(), 'memory.stat');
    fs.writeFileSync(f, 'a 1\n');
    const r = realFs.open(f);
    assert.equal(r.read(), 'a 1\n');
    const big = Array.from({ length: 3000 }, (_, i) => `k${i} ${i}`).join('\n') + '\n';
    fs.writeFileSync(f, big);
    assert.equal(r.read(), big);
    fs.writeFileSync(f, 'a 2\n');
    assert.equal(r.read(), 'a 2\n');
    r.close();
  });

  it('over the fd budget, files are opened per read instead of kept open', () => {
    const f = path.join(tmp(), 'pids.current');
    fs.writeFileSync(f, '3\n');
    const before = openFileCount();
    setOpenFileBudget(before);
    try {
      const r = realFs.open(f);
      assert.equal(openFileCount(), before);
      fs.writeFileSync(f, '4\n');
      assert.equal(r.read(), '4\n');
      r.close();
      assert.throws(() => realFs.open(f + '.missing'), /ENOENT/);
    } finally {
      setOpenFileBudget(1 << 20);
    }
    const kept = realFs.open(f);
    assert.equal(openFileCount(), before + 1);
    kept.close();
    kept.close();
    assert.equal(openFileCount(), before);
  });
});

describe('stat parsers', () => {
  it('limits: max, -1 and the v1 huge value are unlimited', () => {
    assert.deepEqual(['max\n', '-1\n', '9223372036854771712\n', '67108864\n', ''].map(limit), [null, null, null, 67108864, null]);
  });
  it('key-value files: first key, last key, negative values, absent keys', () => {
    const t = 'nr_periods 10\nnr_throttled -3\nthrottled_time 77\n';
    assert.deepEqual([kv(t, 'nr_periods'), kv(t, 'nr_throttled'), kv(t, 'throttled_time'), kv(t, 'periods'), kv(t, 'nr')], [10, -3, 77, null, null]);
  });
  it('block I/O, both versions', () => {
    const a: DeviceIo[] = [];
    blkioV1('8:0 Read 10\n8:0 Write 20\n8:0 Sync 30\n8:0 Total 30\n254:0 Read 1\nTotal 31\n', a, false);
    blkioV1('8:0 Read 1\n8:0 Write 2\n', a, true);
    assert.deepEqual(a, [{ major: 8, minor: 0, readBytes: 10, writeBytes: 20, reads: 1, writes: 2 }, { major: 254, minor: 0, readBytes: 1, writeBytes: 0, reads: 0, writes: 0 }]);
    const b: DeviceIo[] = [];
    ioStatV2('259:0 rbytes=5 wbytes=6 rios=7 wios=8 dbytes=0 dios=0\n', b);
    assert.deepEqual(b, [{ major: 259, minor: 0, readBytes: 5, writeBytes: 6, reads: 7, writes: 8 }]);
  });
});
