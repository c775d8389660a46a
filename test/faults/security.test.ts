import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, RunResult, TestAgent, corral, eventually, removeCgroupParent, testCgroupParent } from '../helpers/cli';
import { freePort } from '../helpers/net';

const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const LEAKED_FD = 40;

/** An existing group nobody is not in (no host group is created or changed by these tests). */
function foreignGroup(): { name: string; gid: number } {
  for (const name of ['daemon', 'adm', 'sys', 'bin']) {
    try {
      const [, , gid, members] = execFileSync('getent', ['group', name], { encoding: 'utf8' }).trim().split(':');
      if (Number(gid) !== NOBODY && !(members ?? '').split(',').includes('nobody')) return { name, gid: Number(gid) };
    } catch { /* not on this machine */ }
  }
  throw new Error('no system group without nobody in it');
}

/** The real CLI as another user; the kernel sees only uid/gid (Node drops supplementary groups). */
function corralAs(uid: number, gid: number, root: string, args: string[], env: Record<string, string> = { CORRAL_NO_AUTOSTART: '1' }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--data-root', root, ...args], {
      uid, gid, cwd: '/', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/nonexistent', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`corral ${args.join(' ')} as ${uid} timed out`)); }, 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

/** host:port of every TCP socket `pid` listens on (its socket inodes matched against /proc/net/tcp*). */
function listeningTcp(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try { const l = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); if (l.startsWith('socket:[')) inodes.add(l.slice(8, -1)); } catch { /* closed meanwhile */ }
  }
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== '0A' || !inodes.has(cols[9]!)) continue; // 0A: LISTEN
      const [hex, port] = cols[1]!.split(':') as [string, string];
      const host = hex.length === 8 ? [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.') : hex;
      out.push(`${host}:${parseInt(port, 16)}`);
    }
  }
  return out;
}

const statusField = (pid: number, key: string) =>
  fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`))!.slice(key.length + 1).trim();
const fdsOf = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
  let target = '';
  try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { /* closed meanwhile */ }
  return { fd: Number(fd), target };
}).sort((a, b) => a.fd - b.fd);

/**
 * An agent like TestAgent's, but started holding an extra fd that is not close-on-exec (40: Node
 * marks 0-15 close-on-exec itself), as a shell or a supervisor may leave one: it must reach no workload.
 */
class HoldingAgent {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-sec-'));
  readonly cgroupParent = testCgroupParent();
  readonly leaked = path.join(this.root, 'leaked-fd');
  proc: ChildProcess | undefined;
  constructor(readonly args: string[]) {}

  async start(): Promise<void> {
    fs.chmodSync(this.root, 0o711); // traversable, like /var/lib/corral: only the socket's own mode guards it
    const log = fs.openSync(path.join(this.root, 'agent.log'), 'a');
    const extra = fs.openSync(this.leaked, 'w');
    this.proc = spawn(process.execPath, [BIN, '--data-root', this.root, 'agent', '--cgroup-parent', this.cgroupParent, ...this.args],
      { stdio: ['ignore', log, log, ...new Array<'ignore'>(LEAKED_FD - 3).fill('ignore'), extra] });
    fs.closeSync(log);
    fs.closeSync(extra);
    await eventually('the agent', async () => (await this.run(['ps'])).code === 0 || this.proc!.exitCode !== null);
    if (this.proc.exitCode !== null) throw new Error(`agent exited: ${this.log()}`);
  }

  run(args: string[]): Promise<RunResult> { return corral(this.root, args); }
  log(): string { return fs.readFileSync(path.join(this.root, 'agent.log'), 'utf8'); }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    removeCgroupParent(this.cgroupParent);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

describe('security', { skip: ROOT ? false : 'needs root (runs the CLI and workloads as nobody)' }, () => {
  const group = ROOT ? foreignGroup() : { name: '', gid: -1 };
  let agent: HoldingAgent;
  let metricsPort = 0;
  before(async () => {
    metricsPort = await freePort();
    agent = new HoldingAgent(['--socket-group', group.name, '--metrics-addr', `127.0.0.1:${metricsPort}`]);
    await agent.start();
  });
  after(() => agent.stop());

  it('closes the fds it inherited (the agent log says which)', () => {
    assert.match(agent.log(), new RegExp(`closed inherited file descriptors (\\d+ )*${LEAKED_FD}\\b`));
    assert.deepEqual(fdsOf(agent.proc!.pid!).filter((f) => f.target === agent.leaked), []);
  });

  describe('the API socket', () => {
    it('is 0660, owned by root and the socket group, and the agent says so', () => {
      const st = fs.statSync(path.join(agent.root, 'corral.sock'));
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o7777, 0o660);
      assert.equal(st.uid, 0);
      assert.equal(st.gid, group.gid);
      assert.match(agent.log(), new RegExp(`corral\\.sock is 0660 root:${group.name}`));
    });

    it('refuses other users in the kernel: nobody gets permission denied, and no second agent is started', async () => {
      for (const env of [{ CORRAL_NO_AUTOSTART: '1' }, {} as Record<string, string>]) {
        const r = await corralAs(NOBODY, NOBODY, agent.root, ['ps'], env);
        assert.equal(r.code, 125, r.stderr);
        assert.match(r.stderr, /permission denied while trying to connect to the corral agent socket at .*corral\.sock/);
        assert.equal(r.stdout, '');
      }
      assert.equal(fs.readFileSync(path.join(agent.root, 'agent.pid'), 'utf8').trim(), String(agent.proc!.pid));
    });

    it('lets in a process whose group is the socket\'s', async () => {
      const r = await corralAs(NOBODY, group.gid, agent.root, ['ps', '-a', '-q']);
      assert.equal(r.code, 0, r.stderr);
    });

    it('is the only API: the agent listens on no TCP port but the metrics one, on loopback', () => {
      assert.deepEqual(listeningTcp(agent.proc!.pid!), [`127.0.0.1:${metricsPort}`]);
    });
  });

  describe('secrets', () => {
    const S = { aws: 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLE', pw: 'hunter2-db-pw', mongo: 'mongo-pw-77', label: 'label-pw-31', arg: 'arg-pw-42' };
    const leaks = (text: string) => Object.values(S).filter((s) => text.includes(s));
    let since = '';
    before(async () => {
      since = new Date(Date.now() - 1000).toISOString();
      const closed = await freePort();
      const r = await agent.run(['run', '-d', '--name', 'sec', '-e', `AWS_SECRET_ACCESS_KEY=${S.aws}`, '-e', `DB_PASSWORD=${S.pw}`, '-e', 'PLAIN=visible',
        '-l', `db=redis://:${S.label}@cache:6379`, '-l', 'in"ject\n=v"al\n} 1\nforged_metric 1', '--log-driver', 'json-file', '--log-driver', 'mongodb',
        '--log-opt', `mongodb:mongodb-uri=mongodb://app:${S.mongo}@127.0.0.1:${closed}/corral`,
        '--', 'sh', '-c', 'echo "env $AWS_SECRET_ACCESS_KEY $DB_PASSWORD"; sleep 60', `postgres://u:${S.arg}@db`]);
      assert.equal(r.code, 0, r.stderr);
    });
    after(() => agent.run(['rm', '-f', 'sec']));

    it('the workload itself gets the real values', async () => {
      const out = await eventually('its line', async () => { const l = await agent.run(['logs', 'sec']); return l.stdout.includes('env ') && l.stdout; });
      assert.equal(out, `env ${S.aws} ${S.pw}\n`);
    });

    it('inspect masks secret env values, URL passwords in log opts, args and labels; --no-redact shows them', async () => {
      const r = await agent.run(['inspect', 'sec']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(leaks(r.stdout), []);
      const [info] = JSON.parse(r.stdout);
      assert.deepEqual(info.Config.Env, ['AWS_SECRET_ACCESS_KEY=***', 'DB_PASSWORD=***', 'PLAIN=visible']);
      assert.equal(info.HostConfig.LogConfigs[1].Config['mongodb-uri'], `mongodb://app:***@127.0.0.1:${info.HostConfig.LogConfigs[1].Config['mongodb-uri'].split(':').pop()}`);
      assert.equal(info.Config.Labels.db, 'redis://:***@cache:6379');
      assert.equal(info.Args.at(-1), 'postgres://u:***@db');
      const plain = await agent.run(['inspect', '--no-redact', 'sec']);
      assert.deepEqual(leaks(plain.stdout).sort(), Object.values(S).sort());
    });

    it('ps masks them in commands and labels (table and json); --no-redact shows them', async () => {
      for (const args of [['ps', '--no-trunc'], ['ps', '--no-trunc', '--format', 'json']]) {
        const r = await agent.run(args);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /sec/);
        assert.deepEqual(leaks(r.stdout), [], args.join(' '));
      }
      const plain = await agent.run(['ps', '--no-trunc', '--format', 'json', '--no-redact']);
      assert.deepEqual(leaks(plain.stdout).sort(), [S.arg, S.label].sort());
    });

    it('events carry labels masked', async () => {
      const r = await agent.run(['events', '--since', since, '--until', new Date().toISOString(), '--format', 'json', '-f', 'container=sec']);
      assert.equal(r.code, 0, r.stderr);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(events.map((e) => e.Action), ['create', 'start']);
      assert.equal(events[0].Actor.Attributes.db, 'redis://:***@cache:6379');
      assert.deepEqual(leaks(r.stdout), []);
    });

    it('/metrics never carries env values: labels only', async () => {
      const text = await eventually('sec in /metrics', async () => {
        const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return body.includes('name="sec"') && body;
      });
      assert.deepEqual(leaks(text), []);
      assert.doesNotMatch(text, /visible|AWS_SECRET_ACCESS_KEY|DB_PASSWORD|PLAIN/);
      if (text.includes('container_label_db=')) assert.match(text, /container_label_db="redis:\/\/:\*\*\*@cache:6379"/);
      // A label can't add a line of its own: keys are sanitized, values escaped.
      assert.doesNotMatch(text, /^forged_metric/m);
      for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$/, line);
    });

    it('errors that echo log opts mask them', async () => {
      const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
      const cases: [string[], RegExp][] = [
        // Unscoped with two drivers: the refusal quotes key=value.
        [['--log-driver', 'json-file', '--log-driver', 'mongodb', '--log-opt', `mongodb-uri=mongodb://app:${S.mongo}@h`], /mongodb-uri=mongodb:\/\/app:\*\*\*@h/],
        [['--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://u:${S.pw}@127.0.0.1:nope`], /log opt syslog-address/],
        [['--log-driver', 'syslog', '--log-opt', 'syslog-address=tcp+tls://127.0.0.1:1', '--log-opt', `syslog-tls-cert=${pem}`, '--log-opt', `syslog-tls-key=${pem}`], /log opt syslog-tls-cert/],
      ];
      for (const [opts, why] of cases) {
        const r = await agent.run(['run', '--rm', ...opts, '--', 'true']);
        assert.equal(r.code, 125, r.stderr);
        assert.match(r.stderr, why);
        assert.deepEqual(leaks(r.stderr), []);
        assert.doesNotMatch(r.stderr, /MIIEvQ/);
      }
    });

    it('the agent\'s own log shows none of them', () => {
      assert.deepEqual(leaks(agent.log()), []);
      assert.doesNotMatch(agent.log(), /MIIEvQ/);
    });
  });

  describe('names, ids and templates stay in their folder', () => {
    it('a name that could be a path is refused by the name rule, and nothing is created', async () => {
      const before = fs.readdirSync(path.join(agent.root, 'containers'));
      for (const name of ['../x', 'a/../../x', '..', '.x', 'x/y', '/etc']) {
        const r = await agent.run(['run', '--name', name, '--', 'true']);
        assert.equal(r.code, 125, name);
        assert.match(r.stderr, /Invalid container name/, name);
      }
      assert.deepEqual(fs.readdirSync(path.join(agent.root, 'containers')), before);
      assert.ok(!fs.existsSync(path.join(agent.root, 'x')) && !fs.existsSync(path.join(os.tmpdir(), 'x')));
    });

    it('a workload\'s folder and log are <root>/containers/<64 hex>/<64 hex>-json.log whatever its name and tag', async () => {
      const r = await agent.run(['run', '--name', 'a..b', '--log-opt', 'tag=../../{{.Name}}', '--', 'true']);
      assert.equal(r.code, 0, r.stderr);
      const [info] = JSON.parse((await agent.run(['inspect', 'a..b'])).stdout);
      assert.match(info.Id, /^[0-9a-f]{64}$/);
      assert.equal(info.LogPath, path.join(agent.root, 'containers', info.Id, `${info.Id}-json.log`));
      await agent.run(['rm', 'a..b']);
    });

    it('lookups by a path-like reference find nothing', async () => {
      for (const ref of ['../../etc', '..', '/../x']) {
        const r = await agent.run(['inspect', ref]);
        assert.equal(r.code, 125);
        assert.match(r.stderr, /No such container/);
      }
    });

    it('MongoDB names refuse what could climb out: database names with / or dots, collections starting with a dot', async () => {
      for (const [opt, key] of [['mongodb-database=../x', 'mongodb-database'], ['mongodb-database={{.Name}}/..', 'mongodb-database'], ['mongodb-collection=../x', 'mongodb-collection']]) {
        const r = await agent.run(['run', '--log-driver', 'mongodb', '--log-opt', 'mongodb-uri=mongodb://127.0.0.1:1', '--log-opt', opt!, '--', 'true']);
        assert.equal(r.code, 125, opt);
        assert.match(r.stderr, new RegExp(`log opt ${key}`), opt);
      }
    });
  });

  describe('syslog framing', () => {
    it('a tag with a newline, CR or space is refused at run, naming the key', async () => {
      for (const tag of ['a\nb', 'a\rb', 'a b', '{{.Name}}\n<13>forged']) {
        const r = await agent.run(['run', '--log-driver', 'syslog', '--log-opt', 'syslog-address=tcp://127.0.0.1:1', '--log-opt', `tag=${tag}`, '--', 'true']);
        assert.equal(r.code, 125, JSON.stringify(tag));
        assert.match(r.stderr, /log opt tag: a syslog tag cannot contain spaces or control characters/);
      }
    });

    it('CR and NUL inside a line stay inside one record', async () => {
      let received = Buffer.alloc(0);
      const sockets = new Set<net.Socket>();
      const server = net.createServer((s) => { sockets.add(s); s.on('data', (d) => (received = Buffer.concat([received, d]))); });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (server.address() as net.AddressInfo).port;
        const r = await agent.run(['run', '--rm', '--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${port}`,
          '--log-opt', 'syslog-format=rfc5424', '--log-opt', 'tag=t', '--', 'sh', '-c', "printf 'a\\rb\\000c\\n<13>1 - forged\\rx\\n'"]);
        assert.equal(r.code, 0, r.stderr);
        await eventually('both records', async () => received.toString('latin1').split('\n').length === 3);
        const records = received.toString('latin1').split('\n').slice(0, 2);
        assert.match(records[0]!, /^<30>1 \S+ \S+ t \d+ t - a\rb\0c$/);
        assert.match(records[1]!, /^<30>1 \S+ \S+ t \d+ t - <13>1 - forged\rx$/);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => server.close(r));
      }
    });
  });

  describe('what a workload inherits', () => {
    it('--user nobody: its uid and gid, no supplementary groups, no capabilities, only fds 0-2 (none of the agent\'s)', async () => {
      const r = await agent.run(['run', '-d', '--name', 'priv', '--user', 'nobody', '--', 'sleep', '60']);
      assert.equal(r.code, 0, r.stderr);
      try {
        const [info] = JSON.parse((await agent.run(['inspect', 'priv'])).stdout);
        const pid: number = info.State.Pid;
        assert.equal(statusField(pid, 'Uid'), '65534\t65534\t65534\t65534');
        assert.equal(statusField(pid, 'Gid'), '65534\t65534\t65534\t65534');
        assert.equal(statusField(pid, 'Groups'), '');
        assert.equal(statusField(pid, 'CapEff'), '0000000000000000');
        assert.equal(statusField(pid, 'CapPrm'), '0000000000000000');
        const fds = fdsOf(pid);
        assert.deepEqual(fds.map((f) => f.fd), [0, 1, 2], JSON.stringify(fds));
        assert.equal(fds[0]!.target, '/dev/null');
        // Its parent (the holder, when there is one) holds nothing of the agent's either.
        const ppid = Number(statusField(pid, 'PPid'));
        if (ppid !== agent.proc!.pid) {
          assert.equal(statusField(ppid, 'Uid'), '65534\t65534\t65534\t65534');
          // Its fd 4 is its report channel to the agent (the pid, then the exit code); nothing else.
          assert.deepEqual(fdsOf(ppid).filter((f) => f.fd !== 4 && (f.target === agent.leaked || f.target.startsWith('socket:'))), []);
        }
      } finally {
        await agent.run(['rm', '-f', 'priv']);
      }
    });
  });
});

describe('security: a socket group that cannot be found', { skip: ROOT ? false : 'needs root' }, () => {
  const agent = new TestAgent();
  const containers = path.join(agent.root, 'containers');
  const planted = 'f'.repeat(64);
  before(async () => {
    // A record whose id points out of its folder (a hand-edited or corrupt config.json).
    fs.mkdirSync(path.join(containers, planted), { recursive: true });
    fs.mkdirSync(path.join(agent.root, 'sentinel'));
    fs.writeFileSync(path.join(containers, planted, 'config.json'), JSON.stringify({ spec: { id: '../sentinel', name: 'planted', logConfigs: [] }, state: { status: 'exited' } }));
    const was = process.env['CORRAL_SOCKET_GROUP'];
    process.env['CORRAL_SOCKET_GROUP'] = `corral-no-such-group-${process.pid}`;
    try { await agent.start(); } finally { if (was === undefined) delete process.env['CORRAL_SOCKET_GROUP']; else process.env['CORRAL_SOCKET_GROUP'] = was; }
  });
  after(() => agent.stop());

  it('keeps the socket 0660 root:root and says so', async () => {
    const st = fs.statSync(agent.socket);
    assert.equal(st.mode & 0o7777, 0o660);
    assert.deepEqual([st.uid, st.gid], [0, 0]);
    const log = fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8');
    assert.match(log, new RegExp(`socket group corral-no-such-group-${process.pid} not found; .*corral\\.sock stays 0660 root:root`));
    assert.equal((await agent.run(['ps'])).code, 0);
  });

  it('skips a stored record whose id is not its folder\'s name, so nothing can act outside containers/', async () => {
    const log = fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8');
    assert.match(log, new RegExp(`skipping unreadable workload ${planted}: config.json: "spec.id" is "\\.\\./sentinel", not the folder's name`));
    assert.equal((await agent.run(['ps', '-a', '-q'])).stdout, '');
    const r = await agent.run(['rm', '-f', '../sentinel']);
    assert.equal(r.code, 125);
    assert.ok(fs.existsSync(path.join(agent.root, 'sentinel')));
  });
});

const hasGroup = (name: string) => { try { execFileSync('getent', ['group', name], { stdio: 'ignore' }); return true; } catch { return false; } };

describe('security: the default socket group', { skip: !ROOT ? 'needs root' : hasGroup('corral') ? 'group corral exists on this host (the test creates it and removes it afterwards)' : false }, () => {
  const agent = new TestAgent();
  before(async () => {
    const was = process.env['CORRAL_SOCKET_GROUP'];
    delete process.env['CORRAL_SOCKET_GROUP']; // the product's default, not the tests' root
    try { await agent.start(); } finally { if (was !== undefined) process.env['CORRAL_SOCKET_GROUP'] = was; }
  });
  after(async () => {
    await agent.stop();
    if (hasGroup('corral')) execFileSync('groupdel', ['corral']);
  });

  it('is corral, created as a system group when missing', () => {
    const [, , gid] = execFileSync('getent', ['group', 'corral'], { encoding: 'utf8' }).split(':');
    assert.ok(Number(gid) < 1000, `a system gid, got ${gid}`);
    assert.equal(fs.statSync(agent.socket).gid, Number(gid));
    assert.match(fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8'), /corral\.sock is 0660 root:corral \(group corral created\)/);
  });
});
