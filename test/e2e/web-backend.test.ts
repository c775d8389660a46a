import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestAgent, corral, eventually } from '../helpers/cli';
import { SseEvent, SseReader } from '../helpers/sse';

const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;
const TOKEN = 'web-backend-token-5678';
const WAIT_MS = 20_000;

/** A follow that must open (200), with this file's longer waits. */
async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const s = await SseReader.open(url, headers, WAIT_MS);
  assert.equal(s.status, 200, `GET ${url}`);
  return s;
}

const lineTexts = (e: SseEvent): string[] =>
  e.event === 'line' ? [JSON.parse(e.data).line] : e.event === 'lines' ? (JSON.parse(e.data) as Array<{ line: string }>).map((l) => l.line) : [];

/** A request to the agent's unix-socket API. */
function unixApi(socket: string, method: string, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: p }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const agentPid = (a: TestAgent) => Number(fs.readFileSync(path.join(a.root, 'agent.pid'), 'utf8'));

/** The agent's open files under dir (its fds, read from /proc). */
function fdsInto(pid: number, dir: string): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try { if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dir + path.sep)) n++; } catch { /* closed meanwhile */ }
  }
  return n;
}

describe('web view backend fixes', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-web-backend-'));
  const www = path.join(tmp, 'www');
  let agent: TestAgent;
  let base = '';
  let port = 0;
  const auth = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), '<!doctype html><title>corral test page</title>');
    // Big enough that a client going early always leaves the file half read.
    fs.writeFileSync(path.join(www, 'big.js'), 'x'.repeat(4 << 20));
    // Trailing blanks and a DOS line end after the token: trimmed, not refused.
    fs.writeFileSync(path.join(tmp, 'token'), `${TOKEN}  \t\r\n`);
    process.env['CORRAL_WEB_ROOT'] = www;
    try {
      agent = new TestAgent(undefined, 'off', ['--web-addr', '127.0.0.1:0', '--web-allow-control', '--web-token-file', path.join(tmp, 'token')]);
      await agent.start();
    } finally {
      delete process.env['CORRAL_WEB_ROOT'];
    }
    const info = JSON.parse((await agent.run(['system', 'info', '--format', 'json'])).stdout) as { WebAddr: string };
    port = Number(/^127\.0\.0\.1:(\d+)$/.exec(info.WebAddr)?.[1]);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await agent?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('--web-addr 127.0.0.1:0 reports the port it bound in the log, system info and `corral web`', async () => {
    assert.ok(port > 0, 'system info names a real port, not :0');
    assert.equal((await fetch(`${base}/api/info`, { headers: auth })).status, 200, 'the token file\'s trailing blanks were trimmed');
    const log = fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8');
    assert.match(log, new RegExp(`web view on http://127\\.0\\.0\\.1:${port}/`));
    assert.doesNotMatch(log, /127\.0\.0\.1:0\//);
    const text = await agent.run(['system', 'info']);
    assert.match(text.stdout, new RegExp(`Web view: +${base}/`));
    const web = await agent.run(['web'], { env: { DISPLAY: '' } });
    assert.equal(web.code, 0, web.stderr);
    assert.equal(web.stdout, `${base}/\n`);
  });

  it('closes the file of a static request whose client went early (no fd leak)', async () => {
    const pid = agentPid(agent);
    for (let i = 0; i < 100; i++) {
      const s = net.createConnection(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
      s.write(`GET /big.js HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      // Wait for the answer to start, so the file is open, then go.
      await new Promise<void>((resolve) => s.once('data', () => resolve()));
      s.destroy();
    }
    await eventually('the agent closed every file of the page it opened', async () => fdsInto(pid, www) === 0, 250, 40)
      .catch(() => assert.fail(`${fdsInto(pid, www)} files under the web root still open`));
  });

  it('downloads lines matching q whatever their case, as the page searches', async () => {
    const r = await agent.run(['run', '--name', 'mixed', '--', 'sh', '-c', 'echo Hello World; echo HELLO again; echo other']);
    assert.equal(r.code, 0, r.stderr);
    const text = await (await fetch(`${base}/api/workloads/mixed/logs/download?q=hello`, { headers: auth })).text();
    assert.deepEqual(text.trim().split('\n').map((l) => l.replace(/^\S+ stdout /, '')), ['Hello World', 'HELLO again']);
  });

  it('refuses a stop timeout a timer cannot hold (400 naming t / --time), and -1 never kills', async () => {
    const r = await agent.run(['run', '-d', '--name', 'stubborn', '--', 'sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done']);
    assert.equal(r.code, 0, r.stderr);
    const running = async () => JSON.parse((await agent.run(['inspect', 'stubborn'])).stdout)[0].State.Status === 'running';
    for (const t of ['99999999999999999999', '2147484', '-2', '1.5']) {
      const api = await unixApi(agent.socket, 'POST', `/workloads/stubborn/stop?t=${t}`);
      assert.equal(api.status, 400, `t=${t}: ${api.body}`);
      assert.match(api.body, new RegExp(`invalid value \\\\?"${t.replace('.', '\\.')}\\\\?" for t: expected seconds from 0 to 2147483, or -1 to wait without SIGKILL`));
      const web = await fetch(`${base}/api/workloads/stubborn/stop?t=${t}`, { method: 'POST', headers: { ...auth, 'x-corral-web': '1' } });
      assert.equal(web.status, 400, `web t=${t}`);
      assert.match((await web.json() as { error: string }).error, /for t: expected seconds from 0 to 2147483/);
    }
    for (const verb of ['stop', 'restart']) {
      const cli = await agent.run([verb, '-t', '2200000', 'stubborn']);
      assert.equal(cli.code, 125);
      assert.match(cli.stderr, /invalid value "2200000" for --time: expected seconds from 0 to 2147483, or -1 to wait without SIGKILL/);
    }
    assert.ok(await running(), 'none of those stopped it');
    const tail = await unixApi(agent.socket, 'GET', '/workloads/stubborn/logs?tail=99999999999999999999');
    assert.equal(tail.status, 400);
    assert.match(tail.body, /for tail: expected a whole number/);
    const webTail = await fetch(`${base}/api/workloads/stubborn/logs?tail=99999999999999999999`, { headers: auth });
    assert.equal(webTail.status, 400, 'the web API reads tail as the unix API does');
    assert.match(await webTail.text(), /for tail: expected a whole number/);

    // -1: SIGTERM (ignored here) and no SIGKILL: the stop waits until something else ends the workload.
    const stop = agent.run(['stop', '-t', '-1', 'stubborn']);
    let stopped = false;
    void stop.then(() => { stopped = true; });
    for (let i = 0; i < 15; i++) {
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(await running(), 'still running: -1 sends no SIGKILL');
    }
    assert.equal(stopped, false);
    assert.equal((await agent.run(['kill', 'stubborn'])).code, 0);
    const done = await stop;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, 'stubborn\n');
  });

  it('an attached run with a lot of output leaves no listener behind (no MaxListenersExceededWarning)', async () => {
    const r = await agent.run(['run', '--name', 'chatty', '--', 'seq', '400000'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, 2_688_895);
    assert.doesNotMatch(fs.readFileSync(path.join(agent.root, 'agent.log'), 'utf8'), /MaxListenersExceeded/);
  });

  it('logout revokes that login\'s cookie; another login and Bearer still work', async () => {
    const login = async () => {
      const r = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
      assert.equal(r.status, 204);
      return r.headers.get('set-cookie')!.split(';')[0]!;
    };
    const first = await login();
    const second = await login();
    assert.notEqual(first, second);
    assert.equal((await fetch(`${base}/api/info`, { headers: { cookie: first } })).status, 200);
    const out = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie: first } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie')!, /^corral_web=; .*Max-Age=0/);
    assert.equal((await fetch(`${base}/api/info`, { headers: { cookie: first } })).status, 401, 'a copy of the logged-out cookie is refused');
    assert.equal((await fetch(`${base}/api/info`, { headers: { cookie: second } })).status, 200);
    assert.equal((await fetch(`${base}/api/info`, { headers: auth })).status, 200);
  });

  it('a follow ends when the workload exited for good, or was removed; not across a restart', async () => {
    const r = await agent.run(['run', '-d', '--name', 'once', '--', 'sh', '-c', 'echo started; exec sleep 300']);
    assert.equal(r.code, 0, r.stderr);
    const s = await openSse(`${base}/api/workloads/once/logs?follow=1`, auth);
    try {
      await s.waitFor('the line', (e) => lineTexts(e).includes('started'));
      // A restart goes on in the same follow.
      assert.equal((await agent.run(['restart', '-t', '0', 'once'])).code, 0);
      await s.waitFor('the second run\'s line', (e) => lineTexts(e).includes('started'));
      assert.equal((await agent.run(['stop', '-t', '0', 'once'])).code, 0);
      await s.waitFor('end', (e) => e.event === 'end');
      await eventually('the stream closed', async () => s.ended);
    } finally {
      s.close();
    }
    // Already exited: the follow reads what there is and ends, as `corral logs -f` does.
    const again = await openSse(`${base}/api/workloads/once/logs?follow=1`, auth);
    try {
      await again.waitFor('end', (e) => e.event === 'end');
    } finally {
      again.close();
    }
    // A restart policy that will start it again keeps the follow open across the exit.
    const p = await agent.run(['run', '-d', '--name', 'phoenix', '--restart', 'always', '--', 'sh', '-c', 'echo "run $$"; sleep 0.3']);
    assert.equal(p.code, 0, p.stderr);
    const f = await openSse(`${base}/api/workloads/phoenix/logs?follow=1`, auth);
    try {
      const runs = new Set<string>();
      await f.waitFor('three runs', (e) => { for (const l of lineTexts(e)) runs.add(l); return runs.size >= 3; });
      assert.equal((await agent.run(['rm', '-f', 'phoenix'])).code, 0);
      await f.waitFor('end after rm', (e) => e.event === 'end');
    } finally {
      f.close();
    }
  });
});

describe('web view and --live-restore', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  it('SIGTERM ends the agent while a web log follow is open, and the workload runs on', async () => {
    const agent = new TestAgent(undefined, 'off', ['--live-restore', '--web-addr', '127.0.0.1:0']);
    await agent.start();
    try {
      const info = JSON.parse((await agent.run(['system', 'info', '--format', 'json'])).stdout) as { WebAddr: string };
      const r = await agent.run(['run', '-d', '--name', 't2', '--', 'sh', '-c', 'while :; do echo tick; sleep 1; done']);
      assert.equal(r.code, 0, r.stderr);
      const pid = JSON.parse((await agent.run(['inspect', 't2'])).stdout)[0].State.Pid as number;
      const s = await openSse(`http://${info.WebAddr}/api/workloads/t2/logs?tail=1&follow=1`);
      try {
        await s.waitFor('a tick', (e) => lineTexts(e).includes('tick'));
        const exited = agent.stopAgent('SIGTERM').then(() => true);
        const gaveUp = new Promise<false>((r) => setTimeout(() => r(false), WAIT_MS));
        assert.equal(await Promise.race([exited, gaveUp]), true, 'the agent exited on SIGTERM');
        await eventually('the follow closed', async () => s.ended);
      } finally {
        s.close();
        if (agent.running) await agent.stopAgent('SIGKILL');
      }
      assert.ok(fs.existsSync(`/proc/${pid}`), 'the workload still runs (live restore)');
    } finally {
      // The next agent adopts the workload (whatever failed above); then it goes.
      if (!agent.running) await agent.start();
      assert.equal((await agent.run(['rm', '-f', 't2'])).code, 0);
      await agent.stop();
    }
  });
});

describe('corral agent web flags without --web-addr', () => {
  it('names exactly the flags given', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-web-flags-'));
    try {
      const one = await corral(root, ['agent', '--web-token-file', path.join(root, 'token')]);
      assert.equal(one.code, 125);
      assert.match(one.stderr, /--web-token-file needs --web-addr HOST:PORT \(the web view is off\)/);
      assert.doesNotMatch(one.stderr, /--web-allow-control|--web-token /);
      const two = await corral(root, ['agent', '--web-allow-control', '--web-token-file', path.join(root, 'token')]);
      assert.equal(two.code, 125);
      assert.match(two.stderr, /--web-allow-control and --web-token-file need --web-addr/);
      const three = await corral(root, ['agent', '--web-allow-control', '--web-token', 'x', '--web-token-file', 'y']);
      assert.match(three.stderr, /--web-allow-control, --web-token and --web-token-file need --web-addr/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
