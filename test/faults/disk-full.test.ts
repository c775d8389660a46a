import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestAgent, eventually } from '../helpers/cli';
import { CAN_MOUNT, SmallDisk, clearCgroupParent, freePort, killHolders, jsonLines, metricSample, wchan } from '../helpers/host';

/**
 * The data root on a disk that fills up: the agent keeps running, counts the failed writes
 * (corral_log_write_errors_total) and says so once per episode (event log-write-error); the
 * workload blocks (mode=blocking) or its lines are dropped and counted (non-blocking); logging
 * resumes by itself when space returns, and no torn entry is ever left in the file.
 */

// Says "ready", waits for $1 to exist (the test fills the disk meanwhile), writes lines "1 000..." to
// "$3 000..." (about 900 bytes each), then creates $2.
const WRITER = 'pad=$(printf "%0900d" 0); echo ready; while [ ! -e "$1" ]; do sleep 0.05; done; '
  + 'i=0; while [ $i -lt "$3" ]; do i=$((i+1)); echo "$i $pad"; done; : > "$2"';
// More than the outlet's 1 MiB queue plus the pipe (1 MiB here; 8 MiB where the kernel allows it).
const LINES = 12_000;

interface Inspect { Id: string; State: { Pid: number }; LogStats: { Sent: number; Dropped: Record<string, Record<string, number>> } }

describe('disk full on the data root', { skip: CAN_MOUNT ? false : 'needs root (mounts a small tmpfs)' }, () => {
  const disk = new SmallDisk('16m');
  const flags = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-flags-'));
  let agent: TestAgent;
  let url = '';

  before(async () => {
    disk.mount();
    const root = path.join(disk.dir, 'root');
    fs.mkdirSync(root);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    agent = new TestAgent(root, `127.0.0.1:${port}`);
    await agent.start();
  });
  after(async () => {
    disk.free();
    await agent?.stopAgent();
    if (agent) { clearCgroupParent(agent.cgroupParent); killHolders(agent.root); } // only has work when the agent died
    await agent?.stop();
    disk.unmount();
    fs.rmSync(flags, { recursive: true, force: true });
  });

  const inspect = async (name: string) => (JSON.parse((await agent.run(['inspect', name])).stdout) as Inspect[])[0]!;
  const writeErrors = async (name: string) => metricSample(await (await fetch(url)).text(), 'corral_log_write_errors_total', { name, driver: 'json-file' }) ?? 0;
  const writeErrorEvents = async (name: string) => (await agent.run(['events', '--since', '10m', '--until', '0s', '--format', 'json', '--filter', `container=${name}`, '--filter', 'event=log-write-error']))
    .stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Actor: { Attributes: Record<string, string> } });
  const logFile = (id: string) => path.join(agent.root, 'containers', id, `${id}-json.log`);

  /** Starts the writer, waits for its first line, then fills the disk and lets it go. */
  async function startThenFill(name: string, logOpts: string[]): Promise<{ id: string; pid: number; done: string }> {
    const go = path.join(flags, `go-${name}`);
    const done = path.join(flags, `done-${name}`);
    const r = await agent.run(['run', '-d', '--name', name, ...logOpts, '--', 'sh', '-c', WRITER, 'sh', go, done, String(LINES)]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(`${name} ready`, async () => (await agent.run(['logs', name])).stdout === 'ready\n');
    const { Id, State } = await inspect(name);
    disk.fill();
    fs.writeFileSync(go, '');
    return { id: Id, pid: State.Pid, done };
  }

  it('blocking: the workload blocks in write(2); once space returns every line is there once, whole, in order', async () => {
    assert.equal((await agent.run(['run', '-d', '--name', 'idle', '--', 'sleep', '1000'])).code, 0);
    const { id, pid, done } = await startThenFill('bw', []);
    try {
      await eventually('write errors counted', async () => (await writeErrors('bw')) > 0);
      await eventually('the workload blocked writing to its full pipe', async () => /pipe_write/.test(wchan(pid)));
      assert.equal(fs.existsSync(done), false, 'the workload did not get to its end');
      // The agent answers, and reads back what is on disk without a warning.
      const partial = await agent.run(['logs', 'bw']);
      assert.equal(partial.code, 0);
      assert.equal(partial.stderr, '');
      assert.ok(partial.stdout.startsWith('ready\n'));
      // A workload that ends now can't have its state saved: the agent goes on regardless.
      assert.equal((await agent.run(['stop', '-t', '0', 'idle'])).code, 0);
      assert.match((await agent.run(['ps', '-a'])).stdout, /idle/);
    } finally {
      disk.free();
    }
    const w = await agent.run(['wait', 'bw'], { timeoutMs: 60_000 });
    assert.equal(w.stdout.trim(), '0');
    assert.ok(fs.existsSync(done));
    const lines = jsonLines(logFile(id));
    assert.equal(lines.length, LINES + 1);
    assert.equal(lines[0], 'ready');
    lines.slice(1).forEach((l, i) => { if (Number(l.slice(0, l.indexOf(' '))) !== i + 1) assert.fail(`line ${i + 2} is "${l.slice(0, 20)}...", expected ${i + 1}`); });
    const stats = (await inspect('bw')).LogStats;
    assert.equal(stats.Sent, LINES + 1);
    assert.deepEqual(Object.values(stats.Dropped['json-file']!).filter((n) => n > 0), []);
    const events = await writeErrorEvents('bw');
    assert.equal(events.length, 1, 'one event for the episode, not one per retry');
    assert.equal(events[0]!.Actor.Attributes['driver'], 'json-file');
    assert.match(events[0]!.Actor.Attributes['error']!, /ENOSPC/);
    const all = await agent.run(['logs', 'bw']);
    assert.equal(all.stderr, '');
    assert.equal(all.stdout.split('\n').length - 1, LINES + 1);
  });

  it('non-blocking: the workload runs to its end while lines are dropped and counted; what was kept is written once space returns', async () => {
    const { id, done } = await startThenFill('nb', ['--log-opt', 'mode=non-blocking', '--log-opt', 'max-buffer-size=64k']);
    try {
      await eventually('the workload ran to its end with the disk full', async () => fs.existsSync(done));
      await eventually('write errors counted', async () => (await writeErrors('nb')) > 0);
      assert.ok(((await inspect('nb')).LogStats.Dropped['json-file']!['buffer-full'] ?? 0) > 0);
      assert.equal((await writeErrorEvents('nb')).length, 1);
    } finally {
      disk.free();
    }
    assert.equal((await agent.run(['wait', 'nb'], { timeoutMs: 60_000 })).stdout.trim(), '0');
    const lines = jsonLines(logFile(id));
    assert.equal(lines[0], 'ready');
    let last = 0;
    for (const l of lines.slice(1)) {
      const n = Number(l.slice(0, l.indexOf(' ')));
      assert.ok(n > last, `line ${n} after ${last}: kept lines stay in order, none twice`);
      last = n;
    }
    const stats = (await inspect('nb')).LogStats;
    const dropped = Object.values(stats.Dropped['json-file']!).reduce((a, b) => a + b, 0);
    assert.equal(stats.Sent, lines.length, 'every line counted as sent is in the file');
    assert.equal(stats.Sent + dropped, LINES + 1, 'every line is either in the file or counted as dropped');
    assert.ok(lines.length < LINES + 1);
    assert.equal((await agent.run(['logs', 'nb'])).stderr, '');
  });
});
