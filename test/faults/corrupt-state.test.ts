import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NO_LIMITS } from '../../engine/cgroups/limits';
import { newId } from '../../engine/workloads/ids';
import { initialState } from '../../engine/workloads/spec';
import { StoredWorkload, WorkloadStore } from '../../engine/workloads/store';
import { TestAgent } from '../helpers/cli';
// The module object itself (not an import namespace's getters), so a test can stand in for a syscall.
import nodeFs = require('node:fs');

/**
 * The agent's state on disk after crashes, power cuts and hands: half-written, empty, garbage
 * and malformed config.json files, folders without one, stray temp files. The agent must
 * start, say in agent.log what it skipped and why, and keep every other workload whole.
 */
describe('corrupt and half-written state files', () => {
  const agent = new TestAgent();
  const containers = () => path.join(agent.root, 'containers');
  const cfg = (id: string) => path.join(containers(), id, 'config.json');
  const good: Record<string, string> = {};
  const broken: Record<string, string> = {}; // id -> what agent.log must say about it
  let victim: ReturnType<typeof spawn> | undefined;

  before(async () => {
    await agent.start();
    for (const name of ['alpha', 'beta', 'gamma']) {
      const r = await agent.run(['run', '--name', name, '--', 'sh', '-c', `echo ${name} says hi`]);
      assert.equal(r.code, 0, r.stderr);
      good[name] = JSON.parse((await agent.run(['inspect', name])).stdout)[0].Id;
    }
    await agent.run(['create', '--name', 'delta', '--restart', 'no', '--', 'true']);
    good['delta'] = JSON.parse((await agent.run(['inspect', 'delta'])).stdout)[0].Id;
    await agent.stopAgent();

    const sample = fs.readFileSync(cfg(good['alpha']!), 'utf8');
    const put = (text: string | Buffer, why: string, file = 'config.json') => {
      const id = newId();
      fs.mkdirSync(path.join(containers(), id));
      fs.writeFileSync(path.join(containers(), id, file), text);
      broken[id] = why;
      return id;
    };
    const withId = (id: string, patch: (r: StoredWorkload) => void) => {
      const r = JSON.parse(sample) as StoredWorkload;
      r.spec.id = id;
      r.spec.name = `x${id.slice(0, 8)}`;
      patch(r);
      return JSON.stringify(r);
    };
    put(sample.replace(good['alpha']!, 'f'.repeat(64)).slice(0, sample.length >> 1), 'not valid JSON');
    put('', 'is empty');
    put(Buffer.from([0x00, 0xff, 0x7b, 0x22, 0x0a, 0x89]), 'not valid JSON');
    put('null', 'no JSON object');
    put('{"spec":{}}', '"state" is missing');
    put('[1,2,3]', 'no JSON object');
    put('', 'its first save never finished', '.config.json.tmp');
    const other = newId();
    put(withId(other, () => {}), 'not the folder\'s name');
    const noLimitsType = newId();
    fs.mkdirSync(path.join(containers(), noLimitsType));
    fs.writeFileSync(cfg(noLimitsType), withId(noLimitsType, (r) => { (r.spec as unknown as Record<string, unknown>).args = 'not a list'; }));
    broken[noLimitsType] = '"spec.args" is missing or malformed';
    // A "running" record whose pid is minus a live process: killing -pid would hit that stranger.
    victim = spawn('sleep', ['60'], { stdio: 'ignore' });
    const dangerous = newId();
    fs.mkdirSync(path.join(containers(), dangerous));
    fs.writeFileSync(cfg(dangerous), withId(dangerous, (r) => { Object.assign(r.state, { status: 'running', pid: -victim!.pid!, pidStartTime: '' }); }));
    broken[dangerous] = '"state.pid" is missing or malformed';
    // Well-formed but with a log driver this agent does not have (hand-edited, or from another version): kept, listed.
    const edited = newId();
    fs.mkdirSync(path.join(containers(), edited));
    fs.writeFileSync(cfg(edited), withId(edited, (r) => { r.spec.name = 'edited'; r.spec.logConfigs = [{ type: 'gone-driver', config: {} }]; }));
    good['edited'] = edited;
    fs.writeFileSync(path.join(containers(), 'stray-file'), 'not a folder');
    broken['stray-file'] = 'not a workload folder';
    // beta was being saved when the power went: its temp file is half written, its config.json whole.
    fs.writeFileSync(path.join(containers(), good['beta']!, '.config.json.tmp'), sample.slice(0, 40));
    // gamma's folder is gone altogether (removed by hand while the agent was down).
    fs.rmSync(path.join(containers(), good['gamma']!), { recursive: true });
    delete good['gamma'];

    await agent.start();
  });

  after(async () => {
    victim?.kill('SIGKILL');
    await agent.stop();
  });

  it('starts, and lists exactly the whole workloads', async () => {
    const ps = await agent.run(['ps', '-a', '--format', 'json']);
    assert.equal(ps.code, 0, ps.stderr);
    const names = ps.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { Names: string }).Names).sort();
    assert.deepEqual(names, ['alpha', 'beta', 'delta', 'edited']);
  });

  it('says in agent.log what it skipped and why, one line each', () => {
    const log = fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8');
    for (const [id, why] of Object.entries(broken)) {
      const line = log.split('\n').find((l) => l.includes(`skipping unreadable workload ${id}`));
      assert.ok(line, `nothing said about ${id} (${why}):\n${log}`);
      assert.ok(line.includes(why), `${line} does not say ${why}`);
    }
  });

  it('loses nothing of the others: their state, their logs, and they still start', async () => {
    const alpha = JSON.parse((await agent.run(['inspect', 'alpha'])).stdout)[0];
    assert.equal(alpha.State.Status, 'exited');
    assert.equal(alpha.State.ExitCode, 0);
    assert.equal((await agent.run(['logs', 'alpha'])).stdout, 'alpha says hi\n');
    assert.equal((await agent.run(['logs', 'beta'])).stdout, 'beta says hi\n', 'beta read from its whole config.json, not the stray temp file');
    const start = await agent.run(['start', 'delta']);
    assert.equal(start.code, 0, start.stderr);
    assert.equal((await agent.run(['wait', 'delta'])).stdout.trim(), '0');
  });

  it('a record whose log config no longer parses is listed and inspected; starting it says why not', async () => {
    const w = JSON.parse((await agent.run(['inspect', 'edited'])).stdout)[0];
    assert.equal(w.HostConfig.LogConfig.Type, 'gone-driver');
    assert.equal(w.LogPath, '');
    const r = await agent.run(['start', 'edited']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /gone-driver/);
  });

  it('never signals a process named by a malformed record', () => {
    assert.equal(victim!.exitCode, null);
    assert.equal(victim!.signalCode, null);
    assert.ok(fs.existsSync(`/proc/${victim!.pid}`));
  });

  it('leaves the skipped folders on disk for the operator, untouched', () => {
    for (const id of Object.keys(broken)) assert.ok(fs.existsSync(path.join(containers(), id)), id);
  });
});

describe('the store writes atomically', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-store-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const record = (id: string, name: string): StoredWorkload => ({
    spec: {
      id, name, created: '2024-05-01T10:00:00Z', path: 'true', args: [], env: [], workingDir: '', user: '', labels: {},
      restartPolicy: { name: 'no', maximumRetryCount: 0 }, autoRemove: false, logConfigs: [{ type: 'json-file', config: {} }], limits: { ...NO_LIMITS },
    },
    state: initialState(),
  });

  it('temp file, fsync, rename, then fsync of the folder', () => {
    const store = new WorkloadStore(path.join(dir, 'a'));
    const id = newId();
    const calls: string[] = [];
    const fdPaths = new Map<number, string>();
    const real = { openSync: nodeFs.openSync, fsyncSync: nodeFs.fsyncSync, renameSync: nodeFs.renameSync };
    const name = (p: unknown) => path.basename(String(p));
    Object.assign(nodeFs, {
      openSync: (p: fs.PathLike, ...rest: unknown[]) => { const fd = (real.openSync as (...a: unknown[]) => number)(p, ...rest); fdPaths.set(fd, name(p)); return fd; },
      fsyncSync: (fd: number) => { calls.push(`fsync ${fdPaths.get(fd)}`); real.fsyncSync(fd); },
      renameSync: (a: fs.PathLike, b: fs.PathLike) => { calls.push(`rename ${name(a)} ${name(b)}`); real.renameSync(a, b); },
    });
    try {
      store.save(record(id, 'one'));
    } finally {
      Object.assign(nodeFs, real);
    }
    assert.deepEqual(calls, ['fsync .config.json.tmp', 'rename .config.json.tmp config.json', `fsync ${id}`]);
    assert.equal(fs.statSync(path.join(dir, 'a', id, 'config.json')).mode & 0o777, 0o600);
  });

  it('a save cut short before its rename leaves the previous record whole, and it loads', () => {
    const store = new WorkloadStore(path.join(dir, 'b'));
    const id = newId();
    const first = record(id, 'before');
    store.save(first);
    const real = nodeFs.renameSync;
    Object.assign(nodeFs, { renameSync: () => { throw Object.assign(new Error('power cut'), { code: 'EIO' }); } });
    try {
      assert.throws(() => store.save(record(id, 'after')), /power cut/);
    } finally {
      Object.assign(nodeFs, { renameSync: real });
    }
    assert.ok(fs.existsSync(path.join(dir, 'b', id, '.config.json.tmp')), 'the temp file is what was cut');
    const skipped: string[] = [];
    const all = store.loadAll((sid, e) => skipped.push(`${sid}: ${e.message}`));
    assert.deepEqual(skipped, [], 'the whole record is not reported');
    assert.equal(all.length, 1);
    assert.equal(all[0]!.spec.name, 'before');
  });
});
