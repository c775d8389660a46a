import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectCgroups, NOT_WRITABLE, parseMountinfo } from '../../engine/cgroups/detect';
import { openCgroups } from '../../engine/cgroups/index';
import { LimitsError, NO_LIMITS } from '../../engine/cgroups/limits';
import { FIXTURES } from '../fixtures/cgroupfs/fixturefs';

const info = (name: string) => path.join(FIXTURES, 'mountinfo', name);
let tmp: string[] = [];
afterEach(() => { for (const d of tmp) fs.rmSync(d, { recursive: true, force: true }); tmp = []; });

/** A prefix tree with a cgroup2 root whose cgroup.controllers says `controllers`. */
function prefix(v2Mount: string, controllers: string): string {
  const p = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-detect-'));
  tmp.push(p);
  fs.mkdirSync(path.join(p, v2Mount), { recursive: true });
  fs.writeFileSync(path.join(p, v2Mount, 'cgroup.controllers'), controllers);
  return p;
}

describe('detect', () => {
  it('parses cgroup mounts from mountinfo, unescaping paths', () => {
    const m = parseMountinfo(fs.readFileSync(info('systemd-hybrid'), 'utf8'));
    assert.deepEqual(m.map((x) => [x.mountPoint, x.fstype]).slice(0, 3), [
      ['/sys/fs/cgroup/unified', 'cgroup2'], ['/sys/fs/cgroup/systemd', 'cgroup'], ['/sys/fs/cgroup/cpu,cpuacct', 'cgroup'],
    ]);
    assert.ok(m.some((x) => x.mountPoint === '/sys/fs/cgroup/net cls'));
    assert.deepEqual(m[2]!.options, ['rw', 'cpu', 'cpuacct']);
  });

  it('this machine: hybrid, v1 controllers each on their own hierarchy', () => {
    const p = prefix('/sys/fs/cgroup/unified', 'hugetlb\n');
    const d = detectCgroups({ mountinfo: info('this-machine'), prefix: p, writable: () => true });
    assert.equal(d.mode, 'hybrid');
    assert.equal(d.version, 1);
    assert.deepEqual(d.v1, Object.fromEntries(['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids'].map((c) => [c, path.join(p, `/sys/fs/cgroup/${c}`)])));
    assert.deepEqual(d.v2, { mount: path.join(p, '/sys/fs/cgroup/unified'), controllers: [] });
    assert.equal(d.writable, true);
    assert.equal(d.reason, undefined);
  });

  it('systemd hybrid with cpu,cpuacct co-mounted; plain v1; unified v2; nothing', () => {
    const p = prefix('/sys/fs/cgroup/unified', '');
    const h = detectCgroups({ mountinfo: info('systemd-hybrid'), prefix: p, writable: () => true });
    assert.equal(h.mode, 'hybrid');
    assert.equal(h.v1.cpu, h.v1.cpuacct);
    assert.equal(detectCgroups({ mountinfo: info('v1-only'), writable: () => true }).mode, 'v1');
    const u = prefix('/sys/fs/cgroup', 'cpuset cpu io memory hugetlb pids rdma misc\n');
    const v2 = detectCgroups({ mountinfo: info('unified'), prefix: u, writable: () => true });
    assert.deepEqual([v2.mode, v2.version, v2.controllers.map((c) => c.name)], ['unified', 2, ['cpuset', 'cpu', 'io', 'memory', 'pids']]);
    const none = detectCgroups({ mountinfo: info('none') });
    assert.deepEqual([none.mode, none.version, none.reason], ['none', null, 'no cgroup filesystem is mounted']);
  });

  it('not writable: the reason says what to do', () => {
    const u = prefix('/sys/fs/cgroup', 'cpu memory pids\n');
    const d = detectCgroups({ mountinfo: info('unified'), prefix: u, writable: () => false });
    assert.equal(d.writable, false);
    assert.equal(d.reason, NOT_WRITABLE);
    assert.equal(NOT_WRITABLE, 'cgroups not writable: run the agent as root or delegate a cgroup v2 subtree');
  });

  it('without usable cgroups workloads still get a handle; limits are refused with the reason', async () => {
    const u = prefix('/sys/fs/cgroup', 'cpu memory pids\n');
    const { backend } = openCgroups({ mountinfo: info('unified'), prefix: u, writable: () => false });
    assert.equal(backend.version, null);
    const h = await backend.create('w', NO_LIMITS);
    assert.deepEqual(h.procsFiles(), []);
    await h.join(1);
    assert.deepEqual((await h.stats()).errors, []);
    await assert.rejects(backend.create('w', { ...NO_LIMITS, memory: 64 << 20 }), (e: unknown) =>
      e instanceof LimitsError && e.flag === 'memory' && e.message === `--memory: ${NOT_WRITABLE}`);
  });

  it('on this machine', (t) => {
    if (!fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs')) return t.skip('no v1 memory hierarchy here');
    const d = detectCgroups();
    assert.equal(d.version, 1);
    assert.ok(d.controllers.some((c) => c.name === 'memory'));
  });
});
