import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, TestAgent, eventually } from '../helpers/cli';
import { freePort } from '../helpers/net';

const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures');
const ID = '288fb5dfb05ea68bc778f3a5f2c89fecca423874ad30420593fef0449aecaebf';
const PARENT = `corral-test-${process.pid}-w`;
const MiB = 1024 * 1024;

/** v1 cgroups this test makes, all under its own parent; a sleep is moved into each so its stats are real. */
class OwnCgroups {
  private readonly dirs: string[] = [];
  private readonly procs: ChildProcess[] = [];

  /** mkdir -p /sys/fs/cgroup/<c>/<PARENT>/<rel> in each controller; returns the leaf dirs. */
  make(rel: string, controllers: string[]): string[] {
    return controllers.map((c) => {
      let dir = path.join('/sys/fs/cgroup', c);
      for (const part of [PARENT, ...rel.split('/')]) {
        dir = path.join(dir, part);
        if (!fs.existsSync(dir)) { fs.mkdirSync(dir); this.dirs.push(dir); }
      }
      return dir;
    });
  }

  /** A sleep that joins every leaf before it execs; resolves with its pid once it is in all of them. */
  async sleepIn(leaves: string[]): Promise<number> {
    const p = spawn('sh', ['-c', 'for f; do echo $$ > "$f/cgroup.procs" || exit 1; done; exec sleep 300', 'sh', ...leaves], { stdio: 'ignore' });
    this.procs.push(p);
    const pid = p.pid!;
    await eventually(`sleep ${pid} in its cgroups`, async () => leaves.every((d) => fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid))));
    return pid;
  }

  async remove(): Promise<void> {
    for (const p of this.procs) {
      if (p.exitCode === null && p.signalCode === null) { const gone = new Promise((r) => p.once('exit', r)); p.kill('SIGKILL'); await gone; }
    }
    for (const d of this.dirs.reverse()) {
      await eventually(`rmdir ${d}`, async () => {
        try { fs.rmdirSync(d); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENOENT'; }
      }, 100, 50);
    }
  }
}

/** A Docker data root with one container, "web", as dockerd leaves it on disk. */
function dockerRoot(pid: number): { root: string; log: string; config: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-docker-'));
  const dir = path.join(root, 'containers', ID);
  fs.mkdirSync(dir, { recursive: true });
  const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'watch', 'config.v2.json'), 'utf8'));
  Object.assign(config.State, { Pid: pid, StartedAt: new Date().toISOString() });
  fs.writeFileSync(path.join(dir, 'config.v2.json'), JSON.stringify(config));
  fs.copyFileSync(path.join(FIXTURES, 'watch', 'hostconfig.json'), path.join(dir, 'hostconfig.json'));
  fs.copyFileSync(path.join(FIXTURES, 'docker', 'real-docker-json.log'), path.join(dir, `${ID}-json.log`));
  return { root, log: path.join(dir, `${ID}-json.log`), config: path.join(dir, 'config.v2.json') };
}

interface Row { name: string; source: string; state: string; memUsage: number | null; memLimit: number; pids: number | null }

describe('watched workloads: Docker containers, systemd services and named cgroups', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  const cgroups = new OwnCgroups();
  let agent: TestAgent;
  let docker: ReturnType<typeof dockerRoot>;
  let dockerPid = 0;
  let webCgroup: string[] = [];
  let url = '';
  const stats = async () => {
    const r = await agent.run(['stats', '--no-stream', '-a', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
  };

  before(async () => {
    // Docker's cgroupfs layout (cpuset left out: as on systemd hosts, a cgroup need not be in every hierarchy).
    webCgroup = cgroups.make(`docker/${ID}`, ['memory', 'cpu', 'cpuacct', 'pids', 'blkio']);
    fs.writeFileSync(path.join(webCgroup[0]!, 'memory.limit_in_bytes'), String(64 * MiB));
    dockerPid = await cgroups.sleepIn(webCgroup);
    await cgroups.sleepIn(cgroups.make('system.slice/fake.service', ['memory', 'pids']));
    await cgroups.sleepIn(cgroups.make('mine', ['memory', 'cpuacct']));
    docker = dockerRoot(dockerPid);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    // Discovery looks under our parent instead of the hierarchy's root (the agent inherits it).
    process.env['CORRAL_WATCH_CGROUP_ROOT'] = `/${PARENT}`;
    agent = new TestAgent(undefined, `127.0.0.1:${port}`, [`--watch-docker=${docker.root}`, '--watch-systemd', '--watch-cgroup', `/${PARENT}/mine`]);
    await agent.start();
  });
  after(async () => {
    await agent?.stop();
    await cgroups.remove();
    if (docker) fs.rmSync(docker.root, { recursive: true, force: true });
  });

  it('stats -a shows them, with their source, usage read from their cgroups and limits read back', async () => {
    const rows = await stats();
    const web = rows.find((r) => r.name === 'docker:web');
    assert.ok(web, JSON.stringify(rows));
    assert.equal(web.source, 'docker');
    assert.equal(web.state, 'running');
    assert.ok(web.memUsage! > 0, `memory usage ${web.memUsage}`);
    assert.equal(web.memLimit, 64 * MiB);
    assert.equal(web.pids, 1);
    const svc = rows.find((r) => r.name === 'systemd:fake.service');
    assert.equal(svc?.source, 'systemd');
    assert.equal(svc?.state, 'running');
    assert.equal(svc?.pids, 1);
    const mine = rows.find((r) => r.name === 'cgroup:mine');
    assert.equal(mine?.source, 'cgroup');
    assert.ok(mine!.memUsage! > 0);
    const ps = await agent.run(['ps', '-a', '--format', 'json']);
    assert.doesNotMatch(ps.stdout, /docker:web/, 'ps lists corral\'s own workloads only');
  });

  it('exports them in /metrics with cAdvisor\'s id and name labels and their source', async () => {
    const text = await (await fetch(url)).text();
    const line = text.split('\n').find((l) => l.startsWith('container_memory_working_set_bytes{') && l.includes('name="docker:web"'));
    assert.ok(line, text);
    assert.match(line, new RegExp(`id="/${PARENT}/docker/${ID}"`));
    assert.match(line, /container_label_corral_source="docker"/);
    assert.match(line, /container_label_team="edge"/);
    assert.ok(Number(line.slice(line.lastIndexOf(' ') + 1)) > 0);
    assert.match(text, /container_spec_memory_limit_bytes\{[^}]*name="docker:web"[^}]*\} 67108864/);
    assert.match(text, new RegExp(`container_memory_usage_bytes\\{id="/${PARENT}/mine",name="cgroup:mine"`));
    assert.match(text, /container_memory_usage_bytes\{[^}]*name="systemd:fake.service"[^}]*container_label_corral_source="systemd"/);
  });

  it('reads a container\'s json-file log: --tail, and inspect', async () => {
    const r = await agent.run(['logs', '--tail', '2', 'docker:web']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Compiling for darwin/amd64...\nMoving binaries to host...\n');
    const byId = await agent.run(['logs', '--tail', '1', ID.slice(0, 12)]);
    assert.equal(byId.stdout, 'Moving binaries to host...\n');
    const svc = await agent.run(['logs', 'systemd:fake.service']);
    assert.equal(svc.code, 125);
    assert.match(svc.stderr, /journalctl -u fake\.service/);
    const inspect = JSON.parse((await agent.run(['inspect', 'docker:web'])).stdout);
    assert.equal(inspect[0].Id, ID);
    assert.equal(inspect[0].State.Pid, dockerPid);
  });

  it('refuses to change them, with the reason', async () => {
    for (const args of [['stop', 'docker:web'], ['kill', 'docker:web'], ['rm', '-f', 'docker:web'], ['update', '-m', '32m', 'docker:web'], ['restart', 'systemd:fake.service']]) {
      const r = await agent.run(args);
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, /(docker:web|systemd:fake\.service) is watched, not managed by corral \(read-only\)/, args.join(' '));
    }
    process.kill(dockerPid, 0); // still running
  });

  it('sees limits changed outside corral (docker update) on its next rescan', async () => {
    fs.writeFileSync(path.join(webCgroup[0]!, 'memory.limit_in_bytes'), String(48 * MiB)); // our own cgroup
    await eventually('the new limit', async () => (await stats()).find((r) => r.name === 'docker:web')?.memLimit === 48 * MiB, 100, 100);
  });

  it('shows them in top, where stop says read-only', { skip: HAS_TMUX ? false : 'tmux missing: apt-get install tmux' }, async () => {
    const session = `corral-watch-${process.pid}`;
    const cmd = [process.execPath, BIN, '--data-root', agent.root, 'top'].map((a) => `'${a}'`).join(' ');
    execFileSync('tmux', ['new-session', '-d', '-x', '120', '-y', '30', '-s', session, `env CORRAL_NO_AUTOSTART=1 ${cmd}`]);
    const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
    const until = (what: string, re: RegExp) => eventually(what, async () => re.test(screen()), 200, 50).catch((e: Error) => { throw new Error(`${e.message}; screen:\n${screen()}`); });
    try {
      await until('docker:web listed', /^docker:web\s+running/m);
      // Long names are cut to fit 120 columns.
      await until('systemd:fake.service listed', /^systemd:fake\S*\s+running/m);
      assert.ok(screen().split('\n').every((l) => !/^\d+s$/.test(l.trim())), 'no row wraps');
      await until('cgroup:mine listed', /^cgroup:mine\s+running/m);
      execFileSync('tmux', ['send-keys', '-t', session, '/', 'd', 'o', 'c', 'k', 'e', 'r', 'Enter']);
      await until('filtered', /filter "docker"/);
      execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
      await until('its log in the detail view', /Moving binaries to host/);
      execFileSync('tmux', ['send-keys', '-t', session, 's']);
      await until('stop refused', /docker:web is watched, not managed by corral \(read-only\)/);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
  });

  it('follows a running container\'s log (-f, --since) until it stops', async () => {
    const follower = spawn(process.execPath, [BIN, '--data-root', agent.root, 'logs', '-f', '--since', '1h', 'docker:web'], { env: { ...process.env, CORRAL_NO_AUTOSTART: '1' } });
    let out = '';
    follower.stdout.on('data', (d) => (out += d));
    try {
      const line = `appended by the test ${process.pid}`;
      fs.appendFileSync(docker.log, `${JSON.stringify({ log: `${line}\n`, stream: 'stdout', time: new Date().toISOString() })}\n`);
      await eventually('the appended line', async () => out.includes(line));
      assert.equal(out, `${line}\n`, 'only the new line: the fixture\'s are from 2016');
      // dockerd marks a stopped container in config.v2.json: the next rescan sees it and follow ends.
      const config = JSON.parse(fs.readFileSync(docker.config, 'utf8'));
      Object.assign(config.State, { Running: false, Pid: 0, FinishedAt: new Date().toISOString() });
      fs.writeFileSync(docker.config, JSON.stringify(config));
      await eventually('follow ended', async () => follower.exitCode !== null, 250, 40);
      assert.equal(follower.exitCode, 0);
      const web = (await stats()).find((r) => r.name === 'docker:web');
      assert.equal(web?.state, 'exited');
      assert.equal(web?.memLimit, 64 * MiB, 'hostconfig.json\'s limit once its cgroup is not read');
    } finally {
      follower.kill('SIGKILL');
    }
  });
});
