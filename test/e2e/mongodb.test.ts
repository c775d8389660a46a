import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, TestAgent, eventually } from '../helpers/cli';
import { MongoPeer } from '../helpers/peers/mongodb';
import { Doc } from '../helpers/peers/mongodb-query';

/** A loopback port with nobody listening (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /;

describe('corral run --log-driver mongodb and corral logs --from mongodb', () => {
  const agent = new TestAgent();
  let peer: MongoPeer;
  const peers: MongoPeer[] = [];
  before(async () => {
    peer = await MongoPeer.start();
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    await Promise.all([peer, ...peers].map((p) => p.close()));
  });

  const docs = (p: MongoPeer, name: string, db = 'corral', coll = 'logs') => p.documents(db, coll).filter((d) => d['container_name'] === name);
  const waitDocs = (p: MongoPeer, name: string, n: number, tries = 250) =>
    eventually(`${n} documents of ${name}`, async () => { const got = docs(p, name); return got.length >= n && got; }, tries);
  const logs = (args: string[]) => agent.run(['logs', '--from', 'mongodb', '--mongodb-uri', peer.uri, ...args]);

  it('stores stdout and stderr with every field; logs --from mongodb prints them with --tail, -t and --details', async () => {
    const startMs = Date.now();
    const r = await agent.run(['run', '--name', 'mo', '-l', 'team=core', '-e', 'REGION=eu', '--log-driver', 'mongodb',
      '--log-opt', `mongodb-uri=${peer.uri}`, '--log-opt', 'labels=team', '--log-opt', 'env=REGION', '--', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.stdout, r.stderr], ['out\n', 'err\n']);
    const [info] = JSON.parse((await agent.run(['inspect', 'mo'])).stdout);
    assert.equal(info.HostConfig.LogConfig.Type, 'mongodb');
    const id: string = info.Id;
    const got = await waitDocs(peer, 'mo', 2);
    const common = { container_id: id, container_name: 'mo', tag: id.slice(0, 12), host: os.hostname(), attrs: { team: 'core', REGION: 'eu' } };
    const strip = (d: Doc) => { const { _id, time, time_ns, ...rest } = d; return rest; };
    assert.deepEqual(got.map(strip).sort((a, b) => String(a['log']).localeCompare(String(b['log']))),
      [{ ...common, log: 'err', source: 'stderr' }, { ...common, log: 'out', source: 'stdout' }]);
    for (const d of got) {
      assert.match(String(d['_id']), new RegExp(`^${id.slice(0, 12)}-[0-9a-f]{16}-[0-9a-f]{10}$`));
      const ns = d['time_ns'] as bigint;
      assert.equal(typeof ns, 'bigint');
      assert.equal((d['time'] as Date).getTime(), Number(ns / 1_000_000n));
      assert.ok(Number(ns / 1_000_000n) >= startMs - 1000 && Number(ns / 1_000_000n) <= Date.now() + 1000, 'time is the line\'s');
    }
    const all = await logs(['mo']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual([all.stdout, all.stderr], ['out\n', 'err\n']);
    const byId = await logs([id.slice(0, 8)]);
    assert.deepEqual([byId.stdout, byId.stderr], ['out\n', 'err\n']);
    const last = await logs(['--tail', '1', 'mo']);
    assert.deepEqual([last.stdout, last.stderr], ['', 'err\n']);
    const stamped = await logs(['-t', '--details', 'mo']);
    assert.match(stamped.stdout, TIME);
    assert.equal(stamped.stdout.replace(TIME, ''), 'REGION=eu,team=core out\n');
  });

  it('--since selects by time', async () => {
    const r = await agent.run(['run', '--name', 'timed', '--log-driver', 'mongodb', '--log-opt', `mongodb-uri=${peer.uri}`, '--', 'sh', '-c', 'echo early; sleep 1.2; echo late']);
    assert.equal(r.code, 0, r.stderr);
    await waitDocs(peer, 'timed', 2);
    const lines = (await logs(['-t', 'timed'])).stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), ['early', 'late']);
    assert.equal((await logs(['--since', lines[1]!.split(' ')[0]!, 'timed'])).stdout, 'late\n');
    assert.equal((await logs(['--since', '1h', 'timed'])).stdout, 'early\nlate\n');
  });

  it('-f prints the history, then lines stored later, until interrupted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-mongo-'));
    const go = path.join(dir, 'go');
    const script = `echo first; i=0; while [ ! -e ${go} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo second`;
    const r = await agent.run(['run', '-d', '--name', 'fol', '--log-driver', 'mongodb', '--log-opt', `mongodb-uri=${peer.uri}`, '--', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    await waitDocs(peer, 'fol', 1);
    const child = spawn(process.execPath, [BIN, '--data-root', agent.root, 'logs', '--from', 'mongodb', '--mongodb-uri', peer.uri, '-f', 'fol'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually('the history', async () => out === 'first\n');
      fs.writeFileSync(go, '');
      await eventually('the new line', async () => out === 'first\nsecond\n');
    } finally {
      child.kill('SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(await exited, 0, 'Ctrl-C ends the follow cleanly');
  });

  it('bad options make run exit 125 naming the key, with the password left out', async () => {
    const cases: [string[], RegExp][] = [
      [['mongodb-uri=http://admin:hunter2@db:27017'], /log opt mongodb-uri: expected mongodb:\/\//],
      [['mongodb-uri=mongodb://admin:hunter2@db:27017/?w=banana&notAnOption=1'], /log opt mongodb-uri/],
      [['mongodb-colection=x'], /unknown log opt 'mongodb-colection' for mongodb log driver/],
      [['mongodb-ttl=forever'], /log opt mongodb-ttl/],
      [['mongodb-capped-max=10'], /mongodb-capped-max needs mongodb-capped-size/],
      [['mongodb-collection=logs_{{.Nope}}'], /log opt mongodb-collection/],
    ];
    for (const [opts, text] of cases) {
      const r = await agent.run(['run', '--name', 'bad', '--log-driver', 'mongodb', ...opts.flatMap((o) => ['--log-opt', o]), '--', 'true']);
      assert.equal(r.code, 125, `${opts.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, text);
      assert.doesNotMatch(r.stderr, /hunter2/);
    }
    assert.doesNotMatch((await agent.run(['ps', '-a'])).stdout, /\bbad\b/);
  });

  it('logs --from: a bad store, a stray store flag, an unknown workload and a down server are clear errors', async () => {
    const from = await agent.run(['logs', '--from', 'elastic', 'mo']);
    assert.equal(from.code, 125);
    assert.match(from.stderr, /invalid value "elastic" for --from: expected mongodb/);
    const stray = await agent.run(['logs', '--mongodb-uri', peer.uri, 'mo']);
    assert.equal(stray.code, 125);
    assert.match(stray.stderr, /--mongodb-uri needs --from mongodb/);
    const unknown = await logs(['nobody']);
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /No such container: nobody/);
    const port = await closedPort();
    const down = await agent.run(['logs', '--from', 'mongodb', '--mongodb-uri', `mongodb://u:hunter2@127.0.0.1:${port}`, 'mo'], { timeoutMs: 20_000 });
    assert.equal(down.code, 125);
    assert.match(down.stderr, new RegExp(`mongodb: reading corral\\.logs at mongodb://<credentials>@127\\.0\\.0\\.1:${port}: `));
    assert.doesNotMatch(down.stderr, /hunter2/);
  });

  it('with no server, run, stop and rm -f return; once it starts the lines arrive', async () => {
    const port = await closedPort();
    const opts = ['--log-driver', 'mongodb', '--log-opt', `mongodb-uri=mongodb://127.0.0.1:${port}`, '--log-opt', 'mongodb-database=late'];
    const attached = await agent.run(['run', '--name', 'down-attached', ...opts, '--', 'sh', '-c', 'echo held; exit 3'], { timeoutMs: 20_000 });
    assert.equal(attached.code, 3, `run exits with the workload's code: ${attached.stderr}`);
    const d = await agent.run(['run', '-d', '--name', 'down-detached', ...opts, '--', 'sh', '-c', 'echo early; echo early-err >&2; sleep 60'], { timeoutMs: 20_000 });
    assert.equal(d.code, 0, d.stderr);
    const f = await agent.run(['run', '-d', '--name', 'down-forced', ...opts, '--', 'sh', '-c', 'echo forced; sleep 60'], { timeoutMs: 20_000 });
    assert.equal(f.code, 0, f.stderr);
    assert.equal((await agent.run(['stop', '-t', '1', 'down-detached'], { timeoutMs: 20_000 })).code, 0);
    assert.equal((await agent.run(['rm', 'down-detached'], { timeoutMs: 20_000 })).code, 0);
    assert.equal((await agent.run(['rm', '-f', 'down-forced'], { timeoutMs: 20_000 })).code, 0);
    assert.equal((await agent.run(['rm', 'down-attached'], { timeoutMs: 20_000 })).code, 0);

    const late = await MongoPeer.start({ port });
    peers.push(late);
    const want = ['held', 'early', 'early-err', 'forced'];
    const got = await eventually('the lines held while MongoDB was down', async () => {
      const logs = late.documents('late', 'logs').map((x) => String(x['log']));
      return want.every((w) => logs.includes(w)) && logs;
    }, 1500);
    assert.equal(got.length, 4, 'each line once');
    assert.equal(late.documents('late', 'logs').find((x) => x['log'] === 'early-err')!['source'], 'stderr');
  });
});
