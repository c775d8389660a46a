import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestAgent, corral } from '../helpers/cli';

const HAS_SYSTEMD_ANALYZE = spawnSync('systemd-analyze', ['--version']).status === 0;
const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;

describe('corral system', () => {
  const agent = new TestAgent();
  before(() => agent.start());
  after(() => agent.stop());

  it('info: versions, cgroups, drivers, and what is not available and why', async () => {
    const info = JSON.parse((await agent.run(['system', 'info', '--format', 'json'])).stdout);
    assert.equal(info.DataRoot, agent.root);
    assert.equal(info.Cgroup.Parent, agent.cgroupParent);
    if (V1) assert.equal(info.Cgroup.Version, 1);
    for (const d of ['json-file', 'syslog', 'fluentd', 'awslogs', 'mongodb', 'journald', 'none']) assert.ok(info.LogDrivers.includes(d), d);
    assert.ok(Array.isArray(info.Unavailable) && info.Unavailable.every((u: string) => /: /.test(u)), 'each says what and why');
    const table = (await agent.run(['system', 'info'])).stdout;
    assert.match(table, /^Version:\s+\d+\.\d+\.\d+ \(Node v\d+/m);
    assert.match(table, /^Log drivers:\s+json-file/m);
    const bad = await agent.run(['system', 'info', '--format', 'xml']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /--format/);
  });

  it('df counts log bytes per workload; prune removes what is not running, after asking', async () => {
    await agent.run(['run', '--name', 'chatty', '--', 'sh', '-c', 'seq 1 2000']);
    await agent.run(['run', '-d', '--name', 'alive', '--', 'sleep', '60']);
    const df = JSON.parse((await agent.run(['system', 'df', '--format', 'json'])).stdout);
    const chatty = df.Workloads.find((w: { Name: string }) => w.Name === 'chatty');
    const log = fs.statSync(JSON.parse((await agent.run(['inspect', 'chatty'])).stdout)[0].LogPath).size;
    assert.equal(chatty.LogBytes, log);
    assert.equal(df.ReclaimableBytes, log, 'only the stopped workload is reclaimable');
    assert.match((await agent.run(['system', 'df', '-v'])).stdout, /chatty\s+exited\s+1\s+\d/);

    const declined = await agent.run(['system', 'prune'], { input: 'n\n' });
    assert.equal(declined.code, 0);
    assert.match(declined.stderr, /Are you sure you want to continue\? \[y\/N\]/);
    assert.equal((await agent.run(['ps', '-a', '-q'])).stdout.trim().split('\n').length, 2, 'nothing removed');
    const pruned = await agent.run(['system', 'prune'], { input: 'y\n' });
    assert.match(pruned.stdout, new RegExp(`Deleted Workloads:\\n${chatty.Id}\\n`));
    assert.match(pruned.stdout, /Total reclaimed space: \d/);
    const left = (await agent.run(['ps', '-a', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l).Names);
    assert.deepEqual(left, ['alive']);
    assert.equal((await agent.run(['system', 'prune', '-f'])).stdout.trim(), 'Total reclaimed space: 0B');
  });

  it('agent --install writes a systemd unit that runs this agent with live restore', async () => {
    const dir = path.join(agent.root, 'units');
    const r = await agent.run(['agent', '--install', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /systemctl daemon-reload && systemctl enable --now corral/);
    const unit = fs.readFileSync(path.join(dir, 'corral.service'), 'utf8');
    const exec = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(' ');
    assert.equal(exec[0], process.execPath);
    assert.ok(fs.statSync(exec[1]!).mode & 0o111, 'runs bin/corral');
    assert.deepEqual(exec.slice(2), ['--data-root', agent.root, 'agent', '--live-restore']);
    for (const line of ['Restart=always', 'KillMode=process', `Environment=CORRAL_ROOT=${agent.root}`, 'WantedBy=multi-user.target']) assert.ok(unit.includes(line), line);
  });

  it('agent --install keeps the flags given beside it, and refuses a token on the unit\'s command line', async () => {
    const dir = path.join(agent.root, 'units-flags');
    const r = await agent.run(['agent', '--web-addr', '127.0.0.1:9324', '--web-token-file', '/etc/corral/web token', '--watch-docker', '--install', dir]);
    assert.equal(r.code, 0, r.stderr);
    const exec = /^ExecStart=(.+)$/m.exec(fs.readFileSync(path.join(dir, 'corral.service'), 'utf8'))![1]!;
    assert.ok(exec.endsWith(`agent --live-restore --watch-docker --web-addr 127.0.0.1:9324 --web-token-file "/etc/corral/web token"`), exec);
    assert.doesNotMatch(exec, /--metrics-addr|--socket-group/, 'defaults are not spelled out');
    const token = await agent.run(['agent', '--web-addr', '127.0.0.1:9324', '--web-token', 's3cret', '--install', dir]);
    assert.notEqual(token.code, 0);
    assert.match(token.stderr, /--web-token-file/);
  });

  it('agent --install keeps the agent\'s settings from the environment, and refuses CORRAL_WEB_TOKEN', async () => {
    const dir = path.join(agent.root, 'units-env');
    const env = { CORRAL_WEB_ADDR: '0.0.0.0:9324', CORRAL_METRICS_ADDR: '127.0.0.1:9400', CORRAL_WATCH_SYSTEMD: '1', CORRAL_HOSTNAME: 'web-1', CORRAL_CGROUP_PARENT: 'corral-x', CORRAL_SOCKET_GROUP: 'ops' };
    const tokenFile = path.join(agent.root, 'token');
    const r = await agent.run(['agent', '--web-token-file', path.relative(process.cwd(), tokenFile), '--install', dir], { env });
    assert.equal(r.code, 0, r.stderr);
    const unit = fs.readFileSync(path.join(dir, 'corral.service'), 'utf8');
    for (const [k, v] of Object.entries(env)) assert.ok(unit.includes(`\nEnvironment=${k}=${v}\n`), `${k} in\n${unit}`);
    // The installed agent starts in /: a relative token file is made absolute.
    assert.ok(/^ExecStart=.+ --web-token-file (\S+)$/m.exec(unit)![1] === tokenFile, unit);
    // Without a token file, the environment's token would be dropped (the web view open to all) or written for all to read.
    const open = path.join(agent.root, 'units-token');
    const t = await agent.run(['agent', '--web-addr', '0.0.0.0:9324', '--install', open], { env: { CORRAL_WEB_TOKEN: 'abc' } });
    assert.equal(t.code, 125);
    assert.match(t.stderr, /CORRAL_WEB_TOKEN .*--web-token-file/);
    assert.ok(!fs.existsSync(open), 'no unit written');
  });

  it('agent --install checks the agent\'s flags (and env settings) before writing a unit', async () => {
    const dir = path.join(agent.root, 'units-bad');
    for (const [args, env, flag] of [
      [['--web-addr', 'bogus'], {}, '--web-addr'],
      [['--metrics-addr', '1.2.3.4'], {}, '--metrics-addr'],
      [['--hostname', 'two words'], {}, '--hostname'],
      [['--web-allow-control'], {}, '--web-addr'],
      [[], { CORRAL_WEB_ADDR: 'nowhere' }, '--web-addr'],
      [[], { CORRAL_METRICS_ADDR: 'x:99999' }, '--metrics-addr'],
    ] as Array<[string[], Record<string, string>, string]>) {
      const r = await agent.run(['agent', ...args, '--install', dir], { env });
      assert.equal(r.code, 125, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stdout}`);
      assert.ok(r.stderr.includes(flag), r.stderr);
      assert.ok(!fs.existsSync(dir), `${args.join(' ')}: no unit written`);
    }
  });

  it('agent --install quotes ExecStart words and Environment= values as systemd reads them (spaces, %, $, quotes, backslashes, control characters)', async () => {
    const root = path.join(agent.root, 'qa root%h$HOME "q" \\b\tt');
    const dir = path.join(agent.root, 'units-odd');
    const r = await corral(root, ['agent', '--install', dir]);
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(dir, 'corral.service');
    const unit = fs.readFileSync(file, 'utf8');
    const quoted = root.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\t/g, '\\x09');
    assert.ok(unit.includes(`\nEnvironment="CORRAL_ROOT=${quoted}"\n`), unit);
    assert.ok(unit.includes(` --data-root "${quoted.replace(/\$/g, '$$$$')}" agent `), unit);
    if (HAS_SYSTEMD_ANALYZE) {
      const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
      const aboutUnit = `${v.stdout}${v.stderr}`.split('\n').filter((l) => l.includes(file));
      assert.deepEqual(aboutUnit, [], 'systemd-analyze verify has nothing to say about the unit');
    }
  });
});
