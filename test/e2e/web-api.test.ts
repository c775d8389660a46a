import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestAgent, eventually } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { SseEvent, SseReader } from '../helpers/sse';

const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;
const TOKEN = 'web-api-test-token-1234';
const WAIT_MS = 15_000;

/** A GET with the path sent exactly as given (fetch and URL would resolve `..` first). */
function rawGet(port: number, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error(`GET ${rawPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Log lines of an SSE log stream's line/lines events. */
const linesOf = (e: SseEvent): Array<{ t: string; stream: string; line: string; partial: boolean }> =>
  e.event === 'line' ? [JSON.parse(e.data)] : e.event === 'lines' ? JSON.parse(e.data) : [];

interface Row { id: string; name: string; state: string; source: string; readOnly: boolean; memLimit: number; pidsLimit: number | null; limits: { memory: number | null } }

describe('web view API', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-web-api-'));
  const www = path.join(tmp, 'www');
  const trigger = path.join(tmp, 'say-more');
  let viewer: TestAgent; // read-only, no token
  let admin: TestAgent; // --web-allow-control and a token
  let base = '';
  let adminBase = '';
  let port = 0;

  before(async () => {
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), '<!doctype html><title>corral test page</title>');
    fs.writeFileSync(path.join(www, 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(www, 'app.css'), 'body{}');
    fs.writeFileSync(path.join(tmp, 'token'), `${TOKEN}\n`);
    port = await freePort();
    const adminPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    adminBase = `http://127.0.0.1:${adminPort}`;
    // The agents inherit the environment: both serve this folder instead of dist/web.
    process.env['CORRAL_WEB_ROOT'] = www;
    try {
      viewer = new TestAgent(undefined, 'off', ['--web-addr', `127.0.0.1:${port}`]);
      admin = new TestAgent(undefined, 'off', ['--web-addr', `127.0.0.1:${adminPort}`, '--web-allow-control', '--web-token-file', path.join(tmp, 'token'),
        '--watch-cgroup', `/corral-test-${process.pid}-web-none/idle`]);
      await Promise.all([viewer.start(), admin.start()]);
    } finally {
      delete process.env['CORRAL_WEB_ROOT'];
    }
    const r = await viewer.run(['run', '-d', '--name', 'logweb', '-m', '64m', '--cpus', '0.5', '--pids-limit', '50', '--', 'sh', '-c',
      `echo first line; echo to stderr >&2; while :; do if [ -f ${trigger} ]; then rm -f ${trigger}; echo second line; fi; sleep 0.05; done`]);
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    await Promise.all([viewer?.stop(), admin?.stop()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('answers info, the workload list and a workload\'s 15-minute history with its limits', async () => {
    const info = await fetch(`${base}/api/info`);
    assert.equal(info.status, 200);
    assert.match(info.headers.get('content-type')!, /^application\/json/);
    const i = await info.json() as Record<string, unknown>;
    assert.equal(i['control'], false);
    assert.equal(i['historySeconds'], 900);
    assert.equal(i['intervalMs'], 1000);
    assert.equal(typeof i['host'], 'string');
    assert.match(i['version'] as string, /^\d+\.\d+\.\d+/);

    const list = await (await fetch(`${base}/api/workloads`)).json() as { t: number; rows: Row[] };
    assert.ok(list.t > 0);
    const row = await eventually('logweb listed', async () => {
      const l = await (await fetch(`${base}/api/workloads`)).json() as { rows: Row[] };
      return l.rows.find((r) => r.name === 'logweb' && r.state === 'running');
    });
    assert.equal(row.source, 'corral');
    assert.equal(row.readOnly, false);
    assert.equal(row.memLimit, 64 * 1024 * 1024);
    assert.equal(row.pidsLimit, 50);

    const h = await eventually('two samples with memory', async () => {
      const got = await (await fetch(`${base}/api/workloads/logweb/history`)).json() as { samples: Array<{ memoryBytes: number | null; cpuPercent: number | null; t: number }> };
      return got.samples.filter((s) => s.memoryBytes !== null && s.cpuPercent !== null).length >= 2 ? got : undefined;
    });
    const hist = h as unknown as { id: string; name: string; limits: unknown; samples: Array<Record<string, unknown>> };
    assert.equal(hist.id, row.id);
    assert.equal(hist.name, 'logweb');
    assert.deepEqual(hist.limits, { cpuPercent: 50, memoryBytes: 64 * 1024 * 1024, pids: 50 });
    assert.deepEqual(Object.keys(hist.samples[0]!).sort(), ['cpuPercent', 'memoryBytes', 'pids', 'readBytesPerSec', 't', 'writeBytesPerSec']);
    assert.ok((hist.samples.at(-1)!['memoryBytes'] as number) > 0);

    const missing = await fetch(`${base}/api/workloads/no-such/history`);
    assert.equal(missing.status, 404);
    assert.match((await missing.json() as { error: string }).error, /No such container: no-such/);
    assert.equal((await fetch(`${base}/api/nope`)).status, 404);
  });

  it('streams rows at once and after every tick, and agent events as `corral events --format json` prints them', async () => {
    const s = await SseReader.open(`${base}/api/stream`);
    try {
      assert.equal(s.status, 200);
      assert.match(s.headers!.get('content-type')!, /^text\/event-stream/);
      const first = await s.waitFor('rows', (e) => e.event === 'rows');
      const frame = JSON.parse(first.data) as { t: number; rows: Row[] };
      assert.ok(frame.rows.some((r) => r.name === 'logweb'));
      await s.waitFor('a second rows frame', (e) => e.event === 'rows' && (JSON.parse(e.data) as { t: number }).t > frame.t);
      const r = await viewer.run(['run', '--name', 'quick', '--', 'true']);
      assert.equal(r.code, 0, r.stderr);
      const die = await s.waitFor('the die event of quick', (e) => e.event === 'agent-event' && JSON.parse(e.data).Action === 'die');
      const ev = JSON.parse(die.data);
      assert.equal(ev.Type, 'container');
      assert.equal(ev.Actor.Attributes.name, 'quick');
      const printed = await viewer.run(['events', '--since', '1h', '--until', '0s', '--format', 'json', '--filter', 'event=die', '--filter', 'container=quick']);
      assert.deepEqual(JSON.parse(printed.stdout.trim().split('\n')[0]!), ev);

      const events = await (await fetch(`${base}/api/events?since=1h`)).json() as { events: Array<{ Action: string; Actor: { Attributes: Record<string, string> } }> };
      assert.ok(events.events.some((e) => e.Action === 'start' && e.Actor.Attributes['name'] === 'logweb'));
      assert.ok(events.events.some((e) => e.Action === 'die' && e.Actor.Attributes['name'] === 'quick'));
      const none = await (await fetch(`${base}/api/events?until=${Math.floor(Date.now() / 1000) - 3600}`)).json() as { events: unknown[] };
      assert.deepEqual(none.events, []);
      const bad = await fetch(`${base}/api/events?since=yesterday`);
      assert.equal(bad.status, 400);
      assert.match((await bad.json() as { error: string }).error, /invalid value "yesterday" for since/);
    } finally {
      s.close();
    }
  });

  it('reads logs with tail and without follow (then `end`), and follows new lines with stdout/stderr marked', async () => {
    await eventually('both first lines written', async () => {
      const t = await (await fetch(`${base}/api/workloads/logweb/logs/download`)).text();
      return t.includes('to stderr');
    });
    const once = await SseReader.open(`${base}/api/workloads/logweb/logs?tail=1`);
    const got = await once.waitFor('a line', (e) => linesOf(e).length > 0);
    assert.deepEqual(linesOf(got).map((l) => [l.stream, l.line, l.partial]), [['stderr', 'to stderr', false]]);
    assert.match(linesOf(got)[0]!.t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    await once.waitFor('end', (e) => e.event === 'end');
    await eventually('the non-follow stream closed', async () => once.ended);

    const all = await SseReader.open(`${base}/api/workloads/logweb/logs?since=1h`);
    const lines: string[] = [];
    await all.waitFor('end', (e) => { lines.push(...linesOf(e).map((l) => `${l.stream} ${l.line}`)); return e.event === 'end'; });
    assert.deepEqual(lines, ['stdout first line', 'stderr to stderr']);

    const follow = await SseReader.open(`${base}/api/workloads/logweb/logs?tail=0&follow=1`);
    try {
      fs.writeFileSync(trigger, '');
      const next = await follow.waitFor('the new line', (e) => linesOf(e).some((l) => l.line === 'second line'));
      assert.equal(linesOf(next).find((l) => l.line === 'second line')!.stream, 'stdout');
      assert.ok(!follow.ended, 'follow goes on');
    } finally {
      follow.close();
    }

    const bad = await fetch(`${base}/api/workloads/logweb/logs?since=soon`);
    assert.equal(bad.status, 400);
    assert.match((await bad.json() as { error: string }).error, /invalid value "soon" for since: expected a duration like 10m/);
    assert.equal((await fetch(`${base}/api/workloads/logweb/logs?tail=x`)).status, 400);
    assert.equal((await fetch(`${base}/api/workloads/nope/logs`)).status, 404);
  });

  it('sends a burst as `lines` events of many lines each, in order', async () => {
    const r = await viewer.run(['run', '--name', 'burst', '--', 'sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo "burst $i"; i=$((i+1)); done']);
    assert.equal(r.code, 0, r.stderr);
    const s = await SseReader.open(`${base}/api/workloads/burst/logs`);
    const lines: string[] = [];
    let events = 0;
    await s.waitFor('end', (e) => { const l = linesOf(e); if (l.length) events++; lines.push(...l.map((x) => x.line)); return e.event === 'end'; });
    assert.deepEqual(lines, Array.from({ length: 2000 }, (_, i) => `burst ${i}`));
    assert.ok(events >= 4 && events <= 100, `2000 lines in a few batched events (${events})`);
    assert.ok(s.events.some((e) => e.event === 'lines'));
  });

  it('follows a workload across a restart, from after the last line sent', async () => {
    const r = await viewer.run(['run', '-d', '--name', 'phoenix', '--', 'sh', '-c', 'echo "run $$"; exec sleep 300']);
    assert.equal(r.code, 0, r.stderr);
    const s = await SseReader.open(`${base}/api/workloads/phoenix/logs?follow=1`);
    try {
      const first = await s.waitFor('the first run\'s line', (e) => linesOf(e).some((l) => l.line.startsWith('run ')));
      const firstLine = linesOf(first).find((l) => l.line.startsWith('run '))!.line;
      const rs = await viewer.run(['restart', '-t', '1', 'phoenix']);
      assert.equal(rs.code, 0, rs.stderr);
      const next = await s.waitFor('the second run\'s line', (e) => linesOf(e).some((l) => l.line.startsWith('run ')));
      const lines = linesOf(next).filter((l) => l.line.startsWith('run ')).map((l) => l.line);
      assert.equal(lines.length, 1);
      assert.notEqual(lines[0], firstLine, 'not the first run\'s line again');
      assert.ok(!s.ended);
    } finally {
      s.close();
    }
  });

  it('downloads the selected lines as text, filtered by q', async () => {
    await eventually('the second line logged', async () => (await (await fetch(`${base}/api/workloads/logweb/logs/download`)).text()).includes('second line'));
    const res = await fetch(`${base}/api/workloads/logweb/logs/download?since=1h&q=line`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="logweb-logs.txt"');
    const lines = (await res.text()).split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z stdout first line$/);
    assert.match(lines[1]!, /^\S+Z stdout second line$/);
    const tail = await (await fetch(`${base}/api/workloads/logweb/logs/download?tail=1`)).text();
    assert.match(tail, /^\S+Z stdout second line\n$/);
  });

  it('serves the page\'s files with their types, nothing outside the folder, and 503 while it is not built', async () => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(await index.text(), /corral test page/);
    const js = await fetch(`${base}/app.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await js.text(), 'console.log(1)');
    assert.equal((await fetch(`${base}/app.css`)).headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal((await fetch(`${base}/missing.js`)).status, 404);
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/%2E%2E/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/..%5c..%5cpackage.json', '/./../token', '/%2e%2e/token']) {
      const r = await rawGet(port, p);
      assert.equal(r.status, 404, p);
      assert.ok(!r.body.includes('"name"') && !r.body.includes(TOKEN), p);
    }
    // Another site's page reaching us by a rebound DNS name is refused.
    assert.equal((await rawGet(port, '/api/info', { host: `evil.example:${port}` })).status, 421);
    assert.equal((await rawGet(port, '/api/info', { host: `localhost:${port}` })).status, 200);

    fs.renameSync(path.join(www, 'index.html'), path.join(www, 'index.off'));
    try {
      const r = await fetch(`${base}/`);
      assert.equal(r.status, 503);
      assert.match(await r.text(), /npm run build/);
    } finally {
      fs.renameSync(path.join(www, 'index.off'), path.join(www, 'index.html'));
    }
  });

  it('refuses control without --web-allow-control', async () => {
    const r = await fetch(`${base}/api/workloads/logweb/stop`, { method: 'POST', headers: { 'x-corral-web': '1' } });
    assert.equal(r.status, 403);
    assert.deepEqual(await r.json(), { error: 'control is off: start the agent with --web-allow-control' });
    const ps = await viewer.run(['ps', '--format', 'json']);
    assert.match(ps.stdout, /logweb/);
  });

  it('with a token: 401 without it, Bearer, Basic, the login cookie; never from the query string', async () => {
    const unauth = await fetch(`${adminBase}/api/info`);
    assert.equal(unauth.status, 401);
    assert.deepEqual(await unauth.json(), { error: 'login required' });
    for (const p of ['/api/workloads', '/api/stream', '/api/events', `/api/info?token=${TOKEN}`, `/api/info?access_token=${TOKEN}`]) {
      assert.equal((await fetch(`${adminBase}${p}`)).status, 401, p);
    }
    // The page and its files load without it (the page shows the login form).
    assert.equal((await fetch(`${adminBase}/`)).status, 200);
    assert.equal((await fetch(`${adminBase}/app.js`)).status, 200);

    const bearer = await fetch(`${adminBase}/api/info`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(bearer.status, 200);
    assert.equal((await bearer.json() as { control: boolean }).control, true);
    assert.equal((await fetch(`${adminBase}/api/info`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    assert.equal((await fetch(`${adminBase}/api/info`, { headers: basic('anyone', TOKEN) })).status, 200);
    assert.equal((await fetch(`${adminBase}/api/info`, { headers: basic(TOKEN, 'wrong') })).status, 401);

    const wrong = await fetch(`${adminBase}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'nope' }) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const login = await fetch(`${adminBase}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    assert.equal(login.status, 204);
    const set = login.headers.get('set-cookie')!;
    assert.match(set, /^corral_web=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    assert.ok(!set.includes(TOKEN), 'the cookie is not the token');
    const cookie = set.split(';')[0]!;
    assert.equal((await fetch(`${adminBase}/api/info`, { headers: { cookie } })).status, 200);
    const s = await SseReader.open(`${adminBase}/api/stream`, { cookie });
    try {
      assert.equal(s.status, 200);
      await s.waitFor('rows over the cookie', (e) => e.event === 'rows');
    } finally {
      s.close();
    }
    const logout = await fetch(`${adminBase}/logout`, { method: 'POST' });
    assert.equal(logout.status, 204);
    assert.match(logout.headers.get('set-cookie')!, /^corral_web=; .*Max-Age=0/);
    assert.equal((await fetch(`${adminBase}/login`, { method: 'POST', body: 'not json' })).status, 400);
  });

  it('with --web-allow-control: stop and restart need the X-Corral-Web header; watched workloads are read-only', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const r = await admin.run(['run', '-d', '--name', 'ctl', '--', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const inspect = async () => JSON.parse((await admin.run(['inspect', 'ctl'])).stdout)[0] as { State: { Status: string; Pid: number } };

    assert.equal((await fetch(`${adminBase}/api/workloads/ctl/stop`, { method: 'POST', headers: { 'x-corral-web': '1' } })).status, 401);
    const noHeader = await fetch(`${adminBase}/api/workloads/ctl/stop`, { method: 'POST', headers: auth });
    assert.equal(noHeader.status, 403);
    assert.match((await noHeader.json() as { error: string }).error, /X-Corral-Web: 1/);
    assert.equal((await inspect()).State.Status, 'running');

    const pid = (await inspect()).State.Pid;
    const restart = await fetch(`${adminBase}/api/workloads/ctl/restart?t=1`, { method: 'POST', headers: { ...auth, 'x-corral-web': '1' } });
    assert.equal(restart.status, 204);
    const after = await inspect();
    assert.equal(after.State.Status, 'running');
    assert.notEqual(after.State.Pid, pid);

    const stop = await fetch(`${adminBase}/api/workloads/ctl/stop?t=1`, { method: 'POST', headers: { ...auth, 'x-corral-web': '1' } });
    assert.equal(stop.status, 204);
    assert.equal((await inspect()).State.Status, 'exited');

    const watched = await eventually('the watched cgroup listed', async () => {
      const l = await (await fetch(`${adminBase}/api/workloads`, { headers: auth })).json() as { rows: Row[] };
      return l.rows.find((x) => x.name === 'cgroup:idle');
    });
    assert.equal(watched.readOnly, true);
    assert.equal(watched.source, 'cgroup');
    const ro = await fetch(`${adminBase}/api/workloads/cgroup:idle/stop`, { method: 'POST', headers: { ...auth, 'x-corral-web': '1' } });
    assert.equal(ro.status, 409);
    assert.match((await ro.json() as { error: string }).error, /cgroup:idle is watched, not managed by corral \(read-only\)/);
    assert.equal((await fetch(`${adminBase}/api/workloads/nope/stop`, { method: 'POST', headers: { ...auth, 'x-corral-web': '1' } })).status, 404);
  });

  it('shows the address in `corral system info`, and `corral web` prints it (or says there is none)', async () => {
    const info = await admin.run(['system', 'info']);
    assert.match(info.stdout, new RegExp(`Web view: +${adminBase}/`));
    const web = await admin.run(['web'], { env: { DISPLAY: '' } });
    assert.equal(web.code, 0, web.stderr);
    assert.equal(web.stdout, `${adminBase}/\n`);
  });
});

describe('corral web without a web view', { skip: V1 ? false : 'needs root and cgroup v1 controllers' }, () => {
  let agent: TestAgent;
  before(async () => { agent = new TestAgent(); await agent.start(); });
  after(() => agent.stop());

  it('exits non-zero and says how to turn it on', async () => {
    const r = await agent.run(['web']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /the agent serves no web view: start it with --web-addr 127\.0\.0\.1:9324/);
    const info = await agent.run(['system', 'info', '--format', 'json']);
    assert.equal(JSON.parse(info.stdout).WebAddr, 'off');
    const flags = await agent.run(['agent', '--web-allow-control']);
    assert.equal(flags.code, 125);
    assert.match(flags.stderr, /--web-allow-control needs --web-addr/);
  });
});
