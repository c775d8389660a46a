import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, TestAgent, corral, eventually } from '../helpers/cli';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const ENTRIES = 120_000;
const T0 = Date.parse('2024-05-01T00:00:00Z');

/** A Docker json-file log of ~12 MB, one entry a second from T0. */
function bigLog(file: string): void {
  const lines: string[] = [];
  for (let i = 0; i < ENTRIES; i++) lines.push(JSON.stringify({ log: `entry ${i} ${'x'.repeat(40)}\n`, stream: i % 7 ? 'stdout' : 'stderr', time: new Date(T0 + i * 1000).toISOString() }));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/**
 * A command run in a tmux terminal, everything the terminal was sent recorded (pipe-pane), so
 * a progress line erased afterwards is still seen. It waits for a go file, so the recording
 * starts first.
 */
class Recorded {
  readonly session = `corral-progress-${process.pid}`;

  constructor(private readonly dir: string) {}

  async run(shell: string): Promise<{ sent: string; screen: string }> {
    const go = path.join(this.dir, 'go');
    const done = path.join(this.dir, 'done');
    const sent = path.join(this.dir, 'sent');
    for (const f of [go, done, sent]) fs.rmSync(f, { force: true });
    const script = `n=0; while [ ! -e '${go}' ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done; ${shell}; echo $? > '${done}'; sleep 60`;
    execFileSync('tmux', ['new-session', '-d', '-x', '150', '-y', '20', '-s', this.session, 'sh', '-c', script]);
    try {
      execFileSync('tmux', ['pipe-pane', '-t', this.session, '-o', `cat >> '${sent}'`]);
      fs.writeFileSync(go, '');
      await eventually('the command to end', async () => fs.existsSync(done) && fs.readFileSync(done, 'utf8').trim() !== '', 300, 100);
      assert.equal(fs.readFileSync(done, 'utf8').trim(), '0', `exit code; screen:\n${this.screen()}`);
      const screen = this.screen();
      // What pipe-pane has not written out yet: it is flushed when the pane's output is read.
      await eventually('the recording', async () => fs.existsSync(sent) && fs.statSync(sent).size > 0, 50, 50);
      return { sent: fs.readFileSync(sent, 'latin1'), screen };
    } finally {
      spawnSync('tmux', ['kill-session', '-t', this.session]);
    }
  }

  screen(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.session], { encoding: 'utf8' });
  }
}

const quote = (args: string[]) => args.map((a) => `'${a}'`).join(' ');

describe('progress on a terminal: logs --since over a large file, system prune', { skip: HAS_TMUX ? false : 'tmux missing: apt-get install tmux' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-progress-'));
  const log = path.join(dir, 'big-json.log');
  const term = new Recorded(dir);
  // Shown at once instead of after half a second: the test needs no slow read.
  const env = `env CORRAL_NO_AUTOSTART=1 CORRAL_PROGRESS_DELAY_MS=0`;
  before(() => bigLog(log));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('logs --file --since: bytes scanned of total on the terminal\'s stderr; stdout byte-identical to a piped run', async () => {
    const since = new Date(T0 + (ENTRIES / 2) * 1000).toISOString();
    const args = ['logs', '--file', log, '--since', since];
    const piped = await corral(dir, args, { env: { CORRAL_PROGRESS_DELAY_MS: '0' } });
    assert.equal(piped.code, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /scanning/, 'no progress into a pipe');
    assert.equal(piped.stdout.split('\n')[0], `entry ${ENTRIES / 2} ${'x'.repeat(40)}`);

    const out = path.join(dir, 'out');
    const { sent, screen } = await term.run(`${env} ${quote([process.execPath, BIN, '--data-root', dir, ...args])} > '${out}'`);
    const drawn = sent.match(new RegExp(`\r(scanning ${log}: [\\d.]+[kM]?B of 1\\d(\\.\\d)?MB)\x1b\\[K`, 'g')) ?? [];
    assert.ok(drawn.length > 0, `the progress line was drawn; the terminal got: ${JSON.stringify(sent.slice(0, 300))}`);
    assert.doesNotMatch(screen, /scanning/, 'and erased once done');
    // The stderr entries went to the terminal, each on a clean line.
    assert.match(screen, new RegExp(`^entry ${ENTRIES - 1 - ((ENTRIES - 1) % 7)} x+$`, 'm'));
    assert.ok(fs.readFileSync(out).equals(Buffer.from(piped.stdout)), 'stdout is the same bytes as when piped');
  });

  describe('through the agent', () => {
    const agent = new TestAgent();
    before(async () => {
      await agent.start();
      const gen = await agent.run(['run', '--name', 'gen', '--', 'seq', '1', '20000']);
      assert.equal(gen.code, 0, gen.stderr);
      for (const n of ['old-1', 'old-2']) {
        const r = await agent.run(['create', '--name', n, '--', 'true']);
        assert.equal(r.code, 0, r.stderr);
      }
    });
    after(() => agent.stop());

    it('logs of a workload: lines and bytes received on the terminal, stdout as when piped', async () => {
      const args = ['logs', '--since', '1h', 'gen'];
      const piped = await agent.run(args, { env: { CORRAL_PROGRESS_DELAY_MS: '0' } });
      assert.equal(piped.stderr, '');
      const out = path.join(dir, 'out-gen');
      const { sent, screen } = await term.run(`${env} ${quote([process.execPath, BIN, '--data-root', agent.root, ...args])} > '${out}'`);
      assert.match(sent, /\rreading logs of gen: \d+ lines, [\d.]+k?B received\x1b\[K/);
      assert.doesNotMatch(screen, /reading logs/);
      assert.ok(fs.readFileSync(out).equals(Buffer.from(piped.stdout)), 'stdout is the same bytes as when piped');
      assert.equal(piped.stdout.split('\n').length, 20001);
    });

    it('system prune: workloads and bytes removed so far, then erased; the result printed as when piped', async () => {
      const { sent, screen } = await term.run(`${env} ${quote([process.execPath, BIN, '--data-root', agent.root, 'system', 'prune', '-f'])}`);
      assert.match(sent, /removing stopped workloads: 1 of 3 removed, [\d.]+[kM]?B reclaimed/);
      assert.match(sent, /removing stopped workloads: 3 of 3 removed, [\d.]+[kM]B reclaimed/);
      assert.doesNotMatch(screen, /removing stopped/);
      assert.match(screen, /^Deleted Workloads:\n([0-9a-f]{64}\n){3}\nTotal reclaimed space: [\d.]+[kM]B$/m);
      assert.equal((await agent.run(['ps', '-a', '-q'])).stdout, '');
      // Piped: no progress, the same text.
      await agent.run(['create', '--name', 'old-3', '--', 'true']);
      const piped = await agent.run(['system', 'prune', '-f'], { env: { CORRAL_PROGRESS_DELAY_MS: '0' } });
      assert.equal(piped.stderr, '');
      assert.match(piped.stdout, /^Deleted Workloads:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
    });
  });
});
