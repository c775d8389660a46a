import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BIN, TestAgent, eventually } from '../helpers/cli';

const TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z';
const DOCKER_LOG = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'docker', 'real-docker-json.log');

describe('corral logs', () => {
  const agent = new TestAgent();
  before(() => agent.start());
  after(() => agent.stop());
  const logPath = async (ref: string) => JSON.parse((await agent.run(['inspect', ref])).stdout)[0].LogPath as string;

  it('writes Docker\'s json-file bytes: escaping, attrs, partial lines', async () => {
    const script = `printf 'tab\\there "q" <a&b> \\\\ \\001\\n'; printf 'caf\\303\\251 \\342\\200\\250 \\377\\n'; printf 'to stderr\\n' >&2; printf 'no newline'`;
    const r = await agent.run(['run', '--name', 'bytes', '-l', 'team=core', '-e', 'REGION=eu', '--log-opt', 'labels=team', '--log-opt', 'env=REGION',
      '--log-opt', 'tag={{.Name}}', '--', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    const lines = fs.readFileSync(await logPath('bytes'), 'utf8').trimEnd().split('\n');
    const attrs = '"attrs":{"REGION":"eu","tag":"bytes","team":"core"}';
    const byText = (needle: string) => lines.find((l) => l.includes(needle))!;
    assert.match(byText('tab'), new RegExp(`^\\{"log":"tab\\\\u0009here \\\\"q\\\\" \\\\u003ca\\\\u0026b\\\\u003e \\\\\\\\ \\\\u0001\\\\n","stream":"stdout",${attrs},"time":"${TIME}"\\}$`));
    assert.match(byText('caf'), new RegExp(`^\\{"log":"café \\\\u2028 \\\\ufffd\\\\n","stream":"stdout",`));
    assert.match(byText('to stderr'), /"log":"to stderr\\n","stream":"stderr"/);
    assert.match(byText('no newline'), /^\{"log":"no newline","stream":"stdout"/); // a final partial: no \n
    const mode = fs.statSync(await logPath('bytes')).mode & 0o777;
    assert.equal(mode, 0o640);
    const details = (await agent.run(['logs', '--details', 'bytes'])).stdout;
    assert.match(details, /^REGION=eu,tag=bytes,team=core tab\there/);
  });

  it('splits a line of 16 KiB or more into partials and prints it back whole', async () => {
    const r = await agent.run(['run', '--name', 'long', '--', 'sh', '-c', 'head -c 40000 /dev/zero | tr "\\0" x; echo; echo after']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'x'.repeat(40000) + '\nafter\n');
    const entries = fs.readFileSync(await logPath('long'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(entries.map((e) => e.log.length), [16384, 16384, 40000 - 32768 + 1, 6]);
    assert.equal(new Set(entries.slice(0, 3).map((e) => e.time)).size, 1, 'chunks share the first chunk\'s time');
    assert.equal((await agent.run(['logs', 'long'])).stdout, 'x'.repeat(40000) + '\nafter\n');
    assert.equal((await agent.run(['logs', '--tail', '2', 'long'])).stdout, 'x'.repeat(40000 - 32768) + '\nafter\n');
  });

  it('rotates with max-size/max-file/compress and reads across the files in order', async () => {
    const r = await agent.run(['run', '-d', '--name', 'rot', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=4', '--log-opt', 'compress=true',
      '--', 'sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done']);
    assert.equal(r.code, 0, r.stderr);
    await agent.run(['wait', 'rot']);
    const base = await logPath('rot');
    await eventually('compressed siblings', async () => fs.existsSync(`${base}.1.gz`) && fs.existsSync(`${base}.3.gz`) && !fs.existsSync(`${base}.1`));
    const header = zlib.gunzipSync(fs.readFileSync(`${base}.1.gz`)).toString('utf8').trimEnd().split('\n');
    const last = JSON.parse(header.at(-1)!).time;
    const raw = fs.readFileSync(`${base}.1.gz`);
    assert.equal(raw[3]! & 0x04, 0x04, 'FEXTRA set');
    assert.equal(raw.subarray(12, 12 + raw.readUInt16LE(10)).toString(), JSON.stringify({ lastTime: last }));
    const all = (await agent.run(['logs', 'rot'])).stdout.trimEnd().split('\n');
    const nums = all.map((l) => Number(l.split(' ')[1]));
    assert.equal(nums.at(-1), 299);
    assert.deepEqual(nums, Array.from({ length: nums.length }, (_, i) => 300 - nums.length + i), 'contiguous, in order');
    assert.ok(nums.length > 50 && nums.length < 300, 'older files were rotated away');
    assert.equal((await agent.run(['logs', '--tail', '50', 'rot'])).stdout.trimEnd().split('\n')[0], 'line 250');
  });

  it('--since and --until select by time', async () => {
    await agent.run(['run', '--name', 'timed', '--', 'sh', '-c', 'echo early; sleep 1.2; echo late']);
    const lines = (await agent.run(['logs', '-t', 'timed'])).stdout.trimEnd().split('\n');
    const lateTime = lines[1]!.split(' ')[0]!;
    assert.equal((await agent.run(['logs', '--since', lateTime, 'timed'])).stdout, 'late\n');
    const ns = BigInt(Date.parse(lateTime.slice(0, 19) + 'Z')) * 1_000_000n + BigInt(lateTime.slice(20, 29));
    const unix = `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n - 1n).toString().padStart(9, '0')}`;
    assert.equal((await agent.run(['logs', '--until', unix, 'timed'])).stdout, 'early\n');
    assert.equal((await agent.run(['logs', '--since', '1h', 'timed'])).stdout, 'early\nlate\n');
    const bad = await agent.run(['logs', '--since', 'yesterday-ish', 'timed']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /--since/);
  });

  it('-f prints history and new lines across rotations, and exits when the workload stops', async () => {
    const go = path.join(agent.root, 'go');
    await agent.run(['run', '-d', '--name', 'follow', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=2',
      '--', 'sh', '-c', `echo first; while [ ! -e ${go} ]; do sleep 0.05; done; i=0; while [ $i -lt 500 ]; do echo "n $i"; i=$((i+1)); done`]);
    await eventually('first line', async () => (await agent.run(['logs', 'follow'])).stdout === 'first\n');
    const f = spawn(process.execPath, [BIN, '--data-root', agent.root, 'logs', '-f', 'follow'], { env: { ...process.env, CORRAL_NO_AUTOSTART: '1' } });
    let out = '';
    f.stdout.on('data', (d) => (out += d));
    await eventually('history printed', async () => out === 'first\n');
    fs.writeFileSync(go, ''); // now 500 lines, through about 20 rotations of a 2-file log
    const code = await new Promise<number>((resolve) => f.on('close', (c) => resolve(c ?? -1)));
    assert.equal(code, 0);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines[0], 'first');
    assert.deepEqual(lines.slice(1), Array.from({ length: 500 }, (_, i) => `n ${i}`));
  });

  it('--file reads a real Docker json-file log like docker logs does', async () => {
    const r = await agent.run(['logs', '--file', DOCKER_LOG]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split('\n');
    assert.equal(out[0], 'Fetching main repository github.com/aliksend/beats...');
    assert.equal(out.length, 22);
    const t = await agent.run(['logs', '--file', DOCKER_LOG, '-t', '--tail', '10']);
    assert.match(t.stdout.split('\n')[0]!, /^2016-03-02T22:59:04\.666497440Z sed -i\.bk/);
  });

  it('--file skips corrupt entries with a warning and reads everything else', async () => {
    const dir = fs.mkdtempSync(path.join(agent.root, 'bad-'));
    const file = path.join(dir, 'x-json.log');
    fs.writeFileSync(file, [
      '{"log":"one\\n","stream":"stdout","time":"2024-05-01T10:00:00Z"}',
      'garbage that is not json',
      '{"log":"two\\n","stream":"stdout","time":"2024-05-01T10:00:01Z"}',
      '{"log":"trunc',
    ].join('\n'));
    const r = await agent.run(['logs', '--file', file]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'one\ntwo\n');
    assert.match(r.stderr, /warning/);
  });

  it('--log-driver none: logs says the none driver keeps no log (Docker\'s message), not that a cache was disabled', async () => {
    assert.equal((await agent.run(['run', '--name', 'nolog', '--log-driver', 'none', '--', 'echo', 'gone'])).code, 0);
    const r = await agent.run(['logs', 'nolog']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /configured logging driver does not support reading: the none driver keeps no log/);
    assert.doesNotMatch(r.stderr, /cache-disabled/);
  });
});
