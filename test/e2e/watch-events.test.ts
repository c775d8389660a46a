import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentEvent } from '../../agent/events';
import { BIN, TestAgent, eventually } from '../helpers/cli';
import { OwnCgroups } from '../helpers/owncgroups';

const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;
const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures');
const ID = '288fb5dfb05ea68bc778f3a5f2c89fecca423874ad30420593fef0449aecaebf';
const HOST = `we-host-${process.pid}`;
const MiB = 1024 * 1024;

describe('corral events: watched workloads appear, die, go away and get OOM-killed', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  const cgroups = new OwnCgroups(`corral-test-${process.pid}-we`);
  const dockerRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-docker-'));
  let agent: TestAgent;
  let follower: ChildProcess;
  const heard: AgentEvent[] = [];
  /** What `corral events` printed for name, as "action" strings in order. */
  const actionsOf = (name: string) => heard.filter((e) => e.Actor.Attributes['name'] === name).map((e) => e.Action);
  const until = (what: string, f: () => boolean) => eventually(what, async () => f(), 200, 50)
    .catch((e: Error) => { throw new Error(`${e.message}; heard: ${heard.map((h) => `${h.Action} ${h.Actor.Attributes['name']}`).join(', ')}`); });

  before(async () => {
    // There before the agent: found by its first rescan, which announces nothing.
    await cgroups.sleepIn(cgroups.make('system.slice/early.service', ['memory', 'pids']));
    fs.mkdirSync(path.join(dockerRoot, 'containers'));
    process.env['CORRAL_WATCH_CGROUP_ROOT'] = `/${cgroups.parent}`;
    process.env['CORRAL_WATCH_RESCAN_MS'] = '200';
    agent = new TestAgent(undefined, 'off', [`--watch-docker=${dockerRoot}`, '--watch-systemd', '--watch-cgroup', `/${cgroups.parent}/named`, '--hostname', HOST]);
    await agent.start();
    follower = spawn(process.execPath, [BIN, '--data-root', agent.root, 'events', '--format', 'json'], { env: { ...process.env, CORRAL_NO_AUTOSTART: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let rest = '';
    follower.stdout!.on('data', (d) => {
      rest += d;
      for (let nl; (nl = rest.indexOf('\n')) >= 0; rest = rest.slice(nl + 1)) heard.push(JSON.parse(rest.slice(0, nl)) as AgentEvent);
    });
  });
  after(async () => {
    follower?.kill('SIGKILL');
    await agent?.stop();
    await cgroups.remove();
    fs.rmSync(dockerRoot, { recursive: true, force: true });
  });

  let bar: ChildProcess;
  let barCgroups: string[] = [];

  it('create and start for a named cgroup, a systemd unit in a nested slice, a user slice\'s unit and a Docker container', async () => {
    const named = cgroups.make('named', ['memory', 'pids']);
    await cgroups.sleepIn(named);
    barCgroups = cgroups.make('system.slice/shop.slice/bar.service', ['memory', 'pids']);
    bar = await cgroups.sleepIn(barCgroups);
    await cgroups.sleepIn(cgroups.make('user.slice/user-1000.slice/user@1000.service', ['memory']));
    await cgroups.sleepIn(cgroups.make(`docker/${ID}`, ['memory', 'pids']));
    const dir = path.join(dockerRoot, 'containers', ID);
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(FIXTURES, 'watch', 'hostconfig.json'), path.join(dir, 'hostconfig.json'));
    fs.copyFileSync(path.join(FIXTURES, 'watch', 'config.v2.json'), path.join(dir, 'config.v2.json'));

    await until('four workloads started', () => ['cgroup:named', 'systemd:bar.service', 'systemd:user@1000.service', 'docker:web'].every((n) => actionsOf(n).includes('start')));
    for (const n of ['cgroup:named', 'systemd:bar.service', 'systemd:user@1000.service', 'docker:web']) assert.deepEqual(actionsOf(n), ['create', 'start'], n);
    const attrs = (n: string) => heard.find((e) => e.Actor.Attributes['name'] === n)!.Actor.Attributes;
    assert.deepEqual(attrs('cgroup:named'), { name: 'cgroup:named', source: 'cgroup', host: HOST });
    assert.deepEqual(attrs('systemd:bar.service'), { name: 'systemd:bar.service', source: 'systemd', slice: 'shop.slice', host: HOST });
    assert.equal(attrs('systemd:user@1000.service')['slice'], 'user-1000.slice');
    assert.equal(attrs('docker:web')['source'], 'docker');
    assert.equal(attrs('docker:web')['team'], 'edge', 'a container\'s labels, as Docker\'s events carry them');
    const web = heard.find((e) => e.Actor.Attributes['name'] === 'docker:web')!;
    assert.equal(web.Actor.ID, ID);
    assert.equal(web.Type, 'container');
    assert.deepEqual(actionsOf('systemd:early.service'), [], 'what was there before the agent is not announced');
  });

  it('oom when the kernel OOM-kills a process in one', async () => {
    const [memory] = cgroups.make('named', ['memory']);
    fs.writeFileSync(path.join(memory!, 'memory.limit_in_bytes'), String(64 * MiB)); // our own cgroup
    const hog = await cgroups.runIn([memory!], [process.execPath, '-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));']);
    await eventually('the hog killed', async () => hog.signalCode !== null || hog.exitCode !== null, 200, 50);
    assert.equal(hog.signalCode, 'SIGKILL');
    await until('the oom event', () => actionsOf('cgroup:named').includes('oom'));
    assert.deepEqual(actionsOf('cgroup:named'), ['create', 'start', 'oom'], 'its sleep lives on: no die');
  });

  it('die when its processes end, destroy when it goes; a container dockerd marks OOM-killed, then removes, likewise', async () => {
    await cgroups.kill(bar);
    await until('bar died', () => actionsOf('systemd:bar.service').includes('die'));
    await cgroups.rmdir(barCgroups);
    await until('bar destroyed', () => actionsOf('systemd:bar.service').includes('destroy'));
    assert.deepEqual(actionsOf('systemd:bar.service'), ['create', 'start', 'die', 'destroy']);
    // dockerd marks a container the kernel OOM-killed (its cgroup may be gone before a rescan reads it).
    const config = path.join(dockerRoot, 'containers', ID, 'config.v2.json');
    const c = JSON.parse(fs.readFileSync(config, 'utf8'));
    Object.assign(c.State, { Running: false, Pid: 0, OOMKilled: true, ExitCode: 137, FinishedAt: new Date().toISOString() });
    fs.writeFileSync(config, JSON.stringify(c));
    await until('the container died', () => actionsOf('docker:web').includes('die'));
    fs.rmSync(path.join(dockerRoot, 'containers', ID), { recursive: true });
    await until('the container destroyed', () => actionsOf('docker:web').includes('destroy'));
    assert.deepEqual(actionsOf('docker:web'), ['create', 'start', 'oom', 'die', 'destroy']);
  });

  it('--filter host=NAME keeps the events of that host (Docker\'s other keys alike)', async () => {
    const since = ['events', '--since', '10m', '--until', '0s', '--format', 'json'];
    const mine = await agent.run([...since, '--filter', `host=${HOST}`, '--filter', 'event=destroy']);
    assert.equal(mine.code, 0, mine.stderr);
    const names = mine.stdout.trim().split('\n').map((l) => (JSON.parse(l) as AgentEvent).Actor.Attributes['name']).sort();
    assert.deepEqual(names, ['docker:web', 'systemd:bar.service']);
    const other = await agent.run([...since, '--filter', 'host=elsewhere']);
    assert.equal(other.code, 0, other.stderr);
    assert.equal(other.stdout, '');
    // Either host: filters of one key are ORed, as Docker's.
    const either = await agent.run([...since, '--filter', 'host=elsewhere', '--filter', `host=${HOST}`, '--filter', 'container=cgroup:named']);
    assert.deepEqual(either.stdout.trim().split('\n').map((l) => (JSON.parse(l) as AgentEvent).Action), ['create', 'start', 'oom']);
    const bad = await agent.run(['events', '--filter', 'hostname=x']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /key one of event, container, type, label, host/);
  });
});
