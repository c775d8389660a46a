import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { once } from 'node:events';
import { gatedCommand, joinAndRelease } from '../../engine/cgroups/join';
import { LimitsError, NO_LIMITS } from '../../engine/cgroups/limits';
import { CgroupHandle } from '../../engine/cgroups/types';
import { V2Backend } from '../../engine/cgroups/v2/backend';

/**
 * The cgroup2 tree here has no memory/cpu/io/pids controllers (they are bound to v1), but
 * its core files are real: the v2 backend creates, joins, samples CPU and removes for real,
 * and refuses limits with the reason. Everything lives under corral-test-<pid>.
 */
const ROOT = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((r) => fs.existsSync(`${r}/cgroup.controllers`));
const PARENT = `corral-test-${process.pid}`;
const skip = process.getuid?.() !== 0 ? 'needs root' : !ROOT ? 'no cgroup2 tree mounted' : false;

describe('cgroup v2 core files on this kernel', { skip, timeout: 30_000 }, () => {
  const handles: CgroupHandle[] = [];
  after(async () => {
    for (const h of handles) {
      await h.kill('SIGKILL').catch(() => undefined);
      await h.destroy().catch(() => undefined);
    }
    if (ROOT && fs.existsSync(`${ROOT}/${PARENT}`)) fs.rmdirSync(`${ROOT}/${PARENT}`);
  });

  it('create, join before exec, CPU usage from cpu.stat, cgroup.kill, destroy', async () => {
    const b = new V2Backend({ root: ROOT!, parent: PARENT });
    const h = await b.create('core', NO_LIMITS);
    handles.push(h);
    const g = gatedCommand('/bin/sh', ['-c', 'cat /proc/self/cgroup; i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30']);
    const child = spawn(g.file, g.args, { stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await joinAndRelease(child, h);
    const gone = once(child, 'exit');
    for (let i = 0; i < 250 && !(out.includes('\n') && (await h.stats()).stats.cpu.usageNs! > 0); i++) await new Promise((r) => setTimeout(r, 20));
    const { stats, errors } = await h.stats();
    assert.deepEqual(errors, []);
    assert.ok(stats.cpu.usageNs! > 0);
    assert.equal(stats.memory.usage, null, 'no memory controller here: null, not an error');
    assert.match(out, new RegExp(`^0::/${PARENT}/core$`, 'm'));
    await h.kill('SIGKILL');
    const [, signal] = await gone;
    assert.equal(signal, 'SIGKILL');
    await h.destroy();
    assert.equal(fs.existsSync(h.dirs[0]!), false);
  });

  it('limits are refused with the reason, and nothing is left behind', async (t) => {
    const b = new V2Backend({ root: ROOT!, parent: PARENT });
    const ctl = fs.readFileSync(`${ROOT}/${PARENT}/cgroup.controllers`, 'utf8');
    if (/\bmemory\b/.test(ctl)) return t.skip('this cgroup2 tree has the memory controller');
    await assert.rejects(b.create('limited', { ...NO_LIMITS, memory: 64 << 20 }), (e: unknown) =>
      e instanceof LimitsError && /^--memory: the memory controller is not enabled in .*cgroup\.subtree_control/.test(e.message));
    assert.ok(!b.list().includes('limited'));
  });
});
