import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, TestAgent, eventually } from '../helpers/cli';
import { dockerEscape, sanitized } from '../fuzz/docker-model';

interface BytesResult { code: number; stdout: Buffer; stderr: Buffer }

/** The real CLI with its output kept as bytes (the shared helper decodes it as UTF-8, which would hide bad bytes). */
function corralBytes(root: string, args: string[], timeoutMs = 120_000): Promise<BytesResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--data-root', root, ...args], { env: { ...process.env, CORRAL_NO_AUTOSTART: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`corral ${args.join(' ')} timed out`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }); });
  });
}

/** A json-file log's entries, each as its raw bytes (without the newline) and parsed. */
function entries(file: string): Array<{ raw: Buffer; log: string; stream: string; time: string }> {
  const bytes = fs.readFileSync(file);
  const out = [];
  for (let at = 0; at < bytes.length;) {
    const nl = bytes.indexOf(0x0a, at);
    assert.ok(nl >= 0, 'every entry ends with a newline');
    const raw = bytes.subarray(at, nl);
    out.push({ raw, ...(JSON.parse(raw.toString('utf8')) as { log: string; stream: string; time: string }) });
    at = nl + 1;
  }
  return out;
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

/** VmRSS / VmHWM of a process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

describe('hostile workload output, through the real agent', () => {
  const agent = new TestAgent();
  before(() => agent.start());
  after(() => agent.stop());
  const logPath = async (ref: string) => JSON.parse((await agent.run(['inspect', ref])).stdout)[0].LogPath as string;
  const agentPid = () => Number(fs.readFileSync(path.join(agent.root, 'agent.pid'), 'utf8'));

  it('a 1 MiB line: 16 KiB partials without a newline, the last one with it; run and logs give it back whole', async () => {
    const len = 64 * 16384 + 100;
    const r = await corralBytes(agent.root, ['run', '--name', 'mib', '--', 'sh', '-c', `head -c ${len} /dev/zero | tr '\\0' x; echo; echo after`]);
    assert.equal(r.code, 0, r.stderr.toString());
    const want = Buffer.from('x'.repeat(len) + '\nafter\n');
    assert.ok(r.stdout.equals(want), 'attached output');
    const es = entries(await logPath('mib'));
    assert.deepEqual(es.map((e) => e.log.length), [...Array(64).fill(16384), 101, 6]);
    assert.ok(es.slice(0, 64).every((e) => !e.log.endsWith('\n')) && es[64]!.log.endsWith('\n'), 'only the last chunk carries the newline');
    assert.equal(new Set(es.slice(0, 65).map((e) => e.time)).size, 1, 'the chunks of a line share its first chunk\'s time');
    assert.ok((await corralBytes(agent.root, ['logs', 'mib'])).stdout.equals(want));
  });

  it('a line of exactly 16 KiB: one full chunk, then an empty last chunk holding the newline', async () => {
    await corralBytes(agent.root, ['run', '--name', 'exact', '--', 'sh', '-c', "head -c 16384 /dev/zero | tr '\\0' z; echo"]);
    const es = entries(await logPath('exact'));
    assert.deepEqual(es.map((e) => e.log), ['z'.repeat(16384), '\n']);
    assert.ok((await corralBytes(agent.root, ['logs', 'exact'])).stdout.equals(Buffer.from('z'.repeat(16384) + '\n')));
  });

  it('output that never ends a line: 16 KiB chunks, the rest without a newline when the stream closes', async () => {
    const r = await corralBytes(agent.root, ['run', '--name', 'nonl', '--', 'sh', '-c', "head -c 100000 /dev/zero | tr '\\0' y; sleep 0.2; printf tail >&2"]);
    assert.ok(r.stdout.equals(Buffer.from('y'.repeat(100000))));
    const es = entries(await logPath('nonl'));
    const out = es.filter((e) => e.stream === 'stdout');
    assert.deepEqual(out.map((e) => e.log.length), [...Array(6).fill(16384), 100000 - 6 * 16384]);
    assert.ok(es.every((e) => !e.log.endsWith('\n')), 'no chunk gets a newline the workload never wrote');
    assert.deepEqual(es.filter((e) => e.stream === 'stderr').map((e) => e.log), ['tail']);
    const logs = await corralBytes(agent.root, ['logs', 'nonl']);
    assert.ok(logs.stdout.equals(Buffer.from('y'.repeat(100000))));
    assert.equal(logs.stderr.toString(), 'tail');
  });

  it('NUL, invalid UTF-8, ANSI escapes, \\r progress bars: Docker\'s bytes in the file; logs gives back what Docker gives', async () => {
    const lines = [
      Buffer.from('nul\0in\0the\0middle'),
      Buffer.from('\x1b[1;31mred\x1b[0m \x1b]0;window title\x07 \x1b[2K'),
      Buffer.from('progress 10%\rprogress 55%\rprogress 100%'),
      Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x20, 0xc3]), // stray bytes, a lead byte with nothing after
      Buffer.concat([Buffer.from('cut '), Buffer.from([0xe2, 0x82]), Buffer.from(' euro '), Buffer.from([0xe2, 0x82, 0xac])]),
      Buffer.concat([Buffer.from('surrogate '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(' overlong '), Buffer.from([0xc0, 0xaf]), Buffer.from(' U+FFFD itself \ufffd')]),
      Buffer.from('html <script>&amp;</script> "q" \\ \u2028 \u2029 \t tab'),
      Buffer.from('\x7f del, \x1f us, \x08 bs, \x0c ff'),
      Buffer.from(''),
      Buffer.from('🚀 é 漢字'),
    ];
    const file = path.join(agent.root, 'hostile.bin');
    fs.writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    const r = await corralBytes(agent.root, ['run', '--name', 'bytes', '--', 'sh', '-c', `cat ${file}; cat ${file} >&2`]);
    assert.equal(r.code, 0);
    const original = fs.readFileSync(file);
    assert.ok(r.stdout.equals(original), 'attached run: the very bytes, bad ones included (as docker attach)');
    assert.ok(r.stderr.equals(original));

    const es = entries(await logPath('bytes'));
    for (const stream of ['stdout', 'stderr']) {
      const mine = es.filter((e) => e.stream === stream);
      assert.equal(mine.length, lines.length);
      mine.forEach((e, i) => {
        const head = `{"log":"${dockerEscape(lines[i]!)}\\n","stream":"${stream}","time":"`;
        assert.equal(e.raw.subarray(0, Buffer.byteLength(head)).toString('utf8'), head, `entry ${i} is Docker's bytes`);
        assert.match(e.time, TIME);
        assert.equal(e.raw.toString('utf8'), `${head}${e.time}"}`);
      });
    }
    // docker logs decodes the file: valid text comes back as it was, each invalid byte as U+FFFD.
    const back = Buffer.concat(lines.flatMap((l) => [sanitized(l), Buffer.from('\n')]));
    const logs = await corralBytes(agent.root, ['logs', 'bytes']);
    assert.ok(logs.stdout.equals(back), `logs: ${JSON.stringify(logs.stdout.toString('latin1'))}`);
    assert.ok(logs.stderr.equals(back));
    for (const i of [0, 1, 2, 6, 7, 9]) assert.ok(back.includes(lines[i]!), `line ${i} comes back byte for byte`);
  });

  it('multi-byte text in volume: logs and run give back every byte, whatever chunk boundary falls inside a character', async () => {
    const r = await corralBytes(agent.root, ['run', '--name', 'utf8', '--', 'sh', '-c', "yes 'é漢字🚀 x' | head -n 60000"]);
    const want = Buffer.from('é漢字🚀 x\n'.repeat(60000));
    assert.ok(r.stdout.equals(want), 'attached output');
    const logs = await corralBytes(agent.root, ['logs', 'utf8']);
    assert.equal(logs.stdout.length, want.length);
    assert.ok(logs.stdout.equals(want), `logs: first difference at byte ${logs.stdout.findIndex((b, i) => b !== want[i])}`);
  });

  it('a flood of ~250 MB: the agent\'s memory stays bounded and every line is counted, none dropped', async (t) => {
    const line = 'a'.repeat(100);
    const script = `yes ${line} | head -c 200000000; head -c 50000000 /dev/zero | tr '\\0' b >&2`;
    const r = await agent.run(['run', '-d', '--name', 'flood', '--log-opt', 'max-size=20m', '--log-opt', 'max-file=3', '--', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    const pid = agentPid();
    let done = false;
    const waited = agent.run(['wait', 'flood'], { timeoutMs: 300_000 }).finally(() => { done = true; });
    let maxRss = 0;
    while (!done) {
      maxRss = Math.max(maxRss, memoryOf(pid).rss);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal((await waited).stdout.trim(), '0');
    const peak = memoryOf(pid).peak;
    t.diagnostic(`agent RSS during the flood: at most ${maxRss >> 20} MiB sampled, ${peak >> 20} MiB peak (VmHWM)`);
    assert.ok(maxRss < 300 * 2 ** 20 && peak < 300 * 2 ** 20, `agent RSS ${maxRss >> 20} MiB, peak ${peak >> 20} MiB`);

    const w = JSON.parse((await agent.run(['inspect', 'flood'])).stdout)[0];
    // stdout: 200e6 bytes of 101-byte lines, the last one cut (a final partial); stderr: 16 KiB chunks, then the rest.
    const want = Math.ceil(200_000_000 / 101) + Math.ceil(50_000_000 / 16384);
    assert.equal(w.LogStats.Sent, want);
    assert.deepEqual(Object.values(w.LogStats.Dropped['json-file'] ?? {}).filter((n) => n !== 0), []);
    const sizes = fs.readdirSync(path.dirname(w.LogPath)).filter((n) => n.includes('-json.log')).map((n) => fs.statSync(path.join(path.dirname(w.LogPath), n)).size);
    assert.ok(sizes.length <= 3 && sizes.every((s) => s < 21_000_000), `rotation kept the files bounded: ${sizes}`);
    // The last two entries: stderr's last chunk, and stdout's cut line (flushed when sh exits and closes stdout).
    const tail = await corralBytes(agent.root, ['logs', '--tail', '2', 'flood']);
    assert.equal(tail.stdout.toString(), 'a'.repeat(200_000_000 % 101), 'the cut line, without a newline');
    assert.ok(tail.stderr.equals(Buffer.alloc(50_000_000 % 16384, 'b')), `stderr's last chunk, without a newline (${tail.stderr.length} bytes)`);
  });

  it('a flood to an attached client and a follower at once: every byte arrives, the agent stays bounded', async (t) => {
    const env = { ...process.env, CORRAL_NO_AUTOSTART: '1' };
    const count = (args: string[]) => {
      const child = spawn(process.execPath, [BIN, '--data-root', agent.root, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
      let bytes = 0;
      let head = Buffer.alloc(0);
      child.stdout.on('data', (d: Buffer) => { if (head.length < 37) head = Buffer.concat([head, d]).subarray(0, 37); bytes += d.length; });
      const done = new Promise<{ code: number | null; bytes: number; head: Buffer }>((r) => child.on('close', (code) => r({ code, bytes, head })));
      return { child, done };
    };
    // The workload waits a moment so the follower is there before the flood starts.
    const run = count(['run', '--name', 'attached', '--', 'sh', '-c', 'sleep 1; yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 25000000']);
    let follow: ReturnType<typeof count> | undefined;
    try {
      await eventually('the workload runs', async () => (await agent.run(['inspect', 'attached'])).stdout.includes('"Running": true'));
      follow = count(['logs', '-f', 'attached']);
      const [attached, followed] = await Promise.all([run.done, follow.done]);
      for (const got of [attached, followed]) {
        assert.equal(got.code, 0);
        assert.equal(got.bytes, 25_000_000);
        assert.ok(got.head.equals(Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz\n')));
      }
      const peak = memoryOf(agentPid()).peak;
      t.diagnostic(`agent peak RSS (VmHWM) so far: ${peak >> 20} MiB`);
      assert.ok(peak < 300 * 2 ** 20, `agent peak RSS ${peak >> 20} MiB`);
    } finally {
      run.child.kill('SIGKILL');
      follow?.child.kill('SIGKILL');
    }
  });
});
