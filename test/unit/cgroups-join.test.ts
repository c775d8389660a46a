import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gatedCommand, joinAndRelease, selfJoiningCommand } from '../../engine/cgroups/join';
import { CgroupHandle } from '../../engine/cgroups/types';

let dirs: string[] = [];
afterEach(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); dirs = []; });

/** Just enough of a handle: join records the pid, or fails. */
function fakeHandle(fail?: Error): CgroupHandle & { joined: number[] } {
  const joined: number[] = [];
  return { joined, join: async (pid: number) => { if (fail) throw fail; joined.push(pid); } } as unknown as CgroupHandle & { joined: number[] };
}

describe('joining before exec', () => {
  it('the command runs only after the join, as the same pid', async () => {
    const g = gatedCommand('/bin/sh', ['-c', 'echo $$; ls -l /proc/self/fd/3 2>&1 | grep -c socket || true']);
    const child = spawn(g.file, g.args, { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const h = fakeHandle();
    await joinAndRelease(child, h);
    const [code] = await once(child, 'close');
    assert.equal(code, 0);
    const [pid, fd3] = out.trim().split('\n');
    assert.deepEqual(h.joined, [child.pid]);
    assert.equal(Number(pid), child.pid);
    assert.equal(fd3, '0', 'the gate fd is closed before exec');
  });

  it('a failed join kills the child before its command can run', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-join-'));
    dirs.push(d);
    const marker = path.join(d, 'ran');
    const g = gatedCommand('/usr/bin/touch', [marker]);
    const child = spawn(g.file, g.args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    const closed = once(child, 'close');
    await assert.rejects(joinAndRelease(child, fakeHandle(new Error('cannot write "1" to x/cgroup.procs: no space left on device (ENOSPC)'))), /ENOSPC/);
    const [, signal] = await closed;
    assert.equal(signal, 'SIGKILL');
    assert.equal(fs.existsSync(marker), false);
  });

  it('spawned without the gate pipe: refused, child killed', async () => {
    const g = gatedCommand('/bin/true', []);
    const child = spawn(g.file, g.args, { stdio: 'ignore' });
    const closed = once(child, 'close');
    await assert.rejects(joinAndRelease(child, fakeHandle()), /stdio\[3\] = "pipe"/);
    await closed;
  });

  it('the self-joining variant writes $$ to each file in order, then execs; exits 125 if one fails', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-join-'));
    dirs.push(d);
    const files = ['a', 'b'].map((n) => path.join(d, n));
    for (const f of files) fs.writeFileSync(f, '');
    const g = selfJoiningCommand(files, '/bin/sh', ['-c', 'echo $$']);
    const child = spawn(g.file, g.args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout!.on('data', (x) => (out += x));
    const [code] = await once(child, 'close');
    assert.equal(code, 0);
    for (const f of files) assert.equal(fs.readFileSync(f, 'utf8').trim(), out.trim());
    const bad = selfJoiningCommand([path.join(d, 'missing', 'cgroup.procs')], '/bin/true', []);
    const c2 = spawn(bad.file, bad.args, { stdio: 'ignore' });
    assert.equal((await once(c2, 'close'))[0], 125);
  });
});
