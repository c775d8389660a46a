import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { BIN, RunResult, TestAgent, eventually } from '../helpers/cli';

/** The CLI run from another directory (the agent's is the test runner's). */
function corralIn(cwd: string, root: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--data-root', root, ...args], { cwd, env: { ...process.env, CORRAL_NO_AUTOSTART: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`corral ${args.join(' ')} timed out`)); }, 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

/** The CLI with its stdout a pipe whose reader is gone before it writes a byte: EPIPE on the first write. */
function corralIntoClosedPipe(root: string, args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--data-root', root, ...args], { env: { ...process.env, CORRAL_NO_AUTOSTART: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`corral ${args.join(' ')} timed out; stderr: ${stderr}`)); }, 30_000);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stderr }); });
  });
}

function api(socketPath: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: p, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('CLI fixes from QA: run --rm, -w, pipes, corral.yaml, events filters', () => {
  const agent = new TestAgent();
  let elsewhere: string;
  before(async () => {
    await agent.start();
    elsewhere = fs.mkdtempSync(path.join(agent.root, 'client-'));
  });
  after(() => agent.stop());

  const names = async () => (await agent.run(['ps', '-a', '--format', 'json'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).Names as string);

  it('run --rm whose command cannot start leaves no workload behind (as docker run --rm)', async () => {
    const before = await names();
    const r = await agent.run(['run', '--rm', '--name', 'never-starts', '--', '/nonexistent-cmd']);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /nonexistent-cmd/);
    // Gone by the time the CLI has its answer, not eventually.
    assert.deepEqual(await names(), before);
    const d = await agent.run(['run', '-d', '--rm', '--name', 'never-starts-d', '--', '/nonexistent-cmd']);
    assert.equal(d.code, 127, d.stderr);
    assert.deepEqual(await names(), before);
    // Without --rm it stays, Created with its error (as Docker).
    const kept = await agent.run(['run', '--name', 'kept', '--', '/nonexistent-cmd']);
    assert.equal(kept.code, 127);
    assert.deepEqual(await names(), ['kept', ...before]);
    await agent.run(['rm', 'kept']);
  });

  it('a relative -w is the client\'s directory, and the API refuses a relative WorkingDir', async () => {
    const r = await corralIn(elsewhere, agent.root, ['run', '--rm', '-w', 'rel dir', '--', 'pwd']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), path.join(elsewhere, 'rel dir'));
    assert.ok(fs.statSync(path.join(elsewhere, 'rel dir')).isDirectory());
    assert.ok(!fs.existsSync(path.join(process.cwd(), 'rel dir')), 'nothing made in the agent\'s directory');
    const inspect = await corralIn(elsewhere, agent.root, ['create', '--name', 'wd', '-w', './sub/../w', '--', 'true']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse((await agent.run(['inspect', 'wd'])).stdout)[0].Config.WorkingDir, path.join(elsewhere, 'w'));
    await agent.run(['rm', 'wd']);
    for (const dir of ['rel', './x', 'a/b', '../up']) {
      const a = await api(agent.socket, 'POST', '/workloads', { path: 'true', workingDir: dir });
      assert.equal(a.status, 400, a.body);
      assert.equal(JSON.parse(a.body).message, `the working directory '${dir}' is invalid, it needs to be an absolute path`);
    }
    // -w '' is Docker's default (/), not the client's directory.
    const blank = await corralIn(elsewhere, agent.root, ['run', '--rm', '-w', '', '--', 'pwd']);
    assert.equal(blank.stdout.trim(), '/', blank.stderr);
  });

  it('relative syslog TLS files are the client\'s too', async () => {
    const r = await corralIn(elsewhere, agent.root, ['create', '--name', 'tls', '--log-driver', 'syslog', '--log-opt', 'syslog-address=tcp+tls://127.0.0.1:1',
      '--log-opt', 'syslog-tls-ca-cert=no-such-ca.pem', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`"${path.join(elsewhere, 'no-such-ca.pem').replace(/[.]/g, '\\.')}" for log opt syslog-tls-ca-cert`));
  });

  it('EPIPE on stdout ends quietly with 141 (help, logs), as coreutils, git and docker in a shell', async () => {
    await agent.run(['run', '--name', 'ticker', '--', 'seq', '1', '20000']);
    for (const args of [['--help'], ['run', '--help'], ['agent', '--help'], ['up', '--help'], ['system', 'prune', '--help'], ['logs', 'ticker'], ['ps', '-a']]) {
      const r = await corralIntoClosedPipe(agent.root, args);
      assert.deepEqual({ code: r.code, signal: r.signal, stderr: r.stderr }, { code: 141, signal: null, stderr: '' }, args.join(' '));
    }
    // And through a shell's pipe into head: whether corral wrote before head left or not, nothing on stderr.
    const sh = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" --data-root "${agent.root}" logs ticker | head -1; echo "rc=$?"`], { encoding: 'utf8', env: { ...process.env, CORRAL_NO_AUTOSTART: '1' }, timeout: 30_000 });
    assert.equal(sh.stderr, '');
    assert.match(sh.stdout, /^1\nrc=(0|141)\n$/);
    await agent.run(['rm', 'ticker']);
  });

  it('a corral.yaml that is a directory is named, and said to be one', async () => {
    const dir = fs.mkdtempSync(path.join(agent.root, 'proj-'));
    fs.mkdirSync(path.join(dir, 'corral.yaml'));
    for (const args of [['config'], ['up']]) {
      const r = await corralIn(dir, agent.root, args);
      assert.equal(r.code, 125);
      assert.equal(r.stderr, `corral.yaml: ${path.join(dir, 'corral.yaml')} is a directory, not a file (give the file with -f FILE or CORRAL_CONFIG)\n`);
    }
  });

  it('up and down take -t as stop does (-1 waits without SIGKILL), and refuse anything else naming --timeout', async () => {
    const dir = fs.mkdtempSync(path.join(agent.root, 'proj-t-'));
    fs.writeFileSync(path.join(dir, 'corral.yaml'), 'workloads:\n  tee:\n    command: ["sleep", "60"]\n');
    for (const args of [['up', '-d', '-t', 'x'], ['down', '-t', '99999999'], ['up', '-d', '-t', '-2']]) {
      const r = await corralIn(dir, agent.root, args);
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, /invalid value "[^"]+" for --timeout: expected seconds from 0 to 2147483, or -1 to wait without SIGKILL/);
    }
    const up = await corralIn(dir, agent.root, ['up', '-d', '-t', '-1']);
    assert.equal(up.code, 0, up.stderr);
    const down = await corralIn(dir, agent.root, ['down', '-t', '0']);
    assert.equal(down.code, 0, down.stderr);
  });

  it('events refuses an empty filter value, naming the key (CLI and API)', async () => {
    for (const key of ['event', 'container', 'type', 'label', 'host']) {
      const r = await agent.run(['events', '--since', '1m', '--until', '0s', '--filter', `${key}=`]);
      assert.equal(r.code, 125, `${key}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`invalid value "${key}=" for --filter: ${key} needs a value`));
      const a = await api(agent.socket, 'GET', `/events?until=1&filters=${encodeURIComponent(JSON.stringify({ [key]: ['x', ''] }))}`);
      assert.equal(a.status, 400, a.body);
      assert.match(JSON.parse(a.body).message, new RegExp(`invalid filter '${key}=': the value is empty`));
    }
    // A filter value must be a list of texts, not a text.
    const notList = await api(agent.socket, 'GET', `/events?until=1&filters=${encodeURIComponent(JSON.stringify({ event: 'die' }))}`);
    assert.equal(notList.status, 400, notList.body);
    assert.match(JSON.parse(notList.body).message, /expected JSON like \{"event":\["die"\]\} \(each key a list of texts\)/);
    await eventually('a valid filter still answers', async () => (await agent.run(['events', '--since', '1m', '--until', '0s', '--filter', 'event=create'])).code === 0);
  });
});
