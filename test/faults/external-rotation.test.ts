import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, TestAgent, eventually } from '../helpers/cli';
import { jsonLines } from '../helpers/host';

/**
 * Someone else touches the log: truncates it, deletes it or its whole folder, or rotates it with
 * logrotate's copytruncate (moby#45728: `docker logs -f` hangs after it). The writer recreates what
 * was deleted and writes on at the new end of a truncated file; followers (`corral logs -f`) go on
 * with what is written next, and readers never choke.
 */

// Writes lines "1 000..." on in phases of $2, $3, ... lines (about 970 bytes each in the file);
// after phase k it waits for the file $1/k, so faults happen while it is quiet.
const PHASED = 'd=$1; shift; pad=$(printf "%0900d" 0); i=0; p=0; for n in "$@"; do p=$((p+1)); end=$((i+n)); '
  + 'while [ $i -lt $end ]; do i=$((i+1)); echo "$i $pad"; done; while [ ! -e "$d/$p" ]; do sleep 0.02; done; done';

const numbers = (lines: readonly string[]) => lines.map((l) => Number(l.slice(0, l.indexOf(' '))));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const hasLogrotate = spawnSync('logrotate', ['--version']).status === 0;

/** `corral logs -f NAME` as a user runs it, its output collected. */
class Follower {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly ended: Promise<number>;
  constructor(root: string, name: string) {
    this.proc = spawn(process.execPath, [BIN, '--data-root', root, 'logs', '-f', name], { env: { ...process.env, CORRAL_NO_AUTOSTART: '1' } });
    this.proc.stdout!.on('data', (d) => (this.stdout += d));
    this.proc.stderr!.on('data', (d) => (this.stderr += d));
    this.ended = new Promise((r) => this.proc.once('close', (code) => r(code ?? -1)));
  }
  lines(): string[] { return this.stdout.split('\n').slice(0, -1); }
  has(n: number): boolean { return this.stdout.includes(`\n${n} 0`) || this.stdout.startsWith(`${n} 0`); }
  stop(): void { if (this.proc.exitCode === null) this.proc.kill('SIGKILL'); }
}

describe('the log changed from outside', () => {
  const agent = new TestAgent();
  const flags = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-flags-'));
  before(() => agent.start());
  after(async () => {
    await agent.stop();
    fs.rmSync(flags, { recursive: true, force: true });
  });

  /**
   * Runs a phased writer named `name`, follows it, lets `fault` happen after phase 1, then lets it
   * finish. Returns the follower's lines and the paths of the log.
   */
  async function scenario(name: string, phases: number[], logOpts: string[], fault: (log: string) => void) {
    const dir = path.join(flags, name);
    fs.mkdirSync(dir);
    const r = await agent.run(['run', '-d', '--name', name, ...logOpts, '--', 'sh', '-c', PHASED, 'sh', dir, ...phases.map(String)]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const log = path.join(agent.root, 'containers', id, `${id}-json.log`);
    const f = new Follower(agent.root, name);
    try {
      await eventually('phase 1 followed', async () => f.has(phases[0]!));
      fault(log);
      fs.writeFileSync(path.join(dir, '1'), '');
      const last = phases.reduce((a, b) => a + b, 0);
      await eventually('phase 2 followed', async () => f.has(last));
      for (let p = 2; p <= phases.length; p++) fs.writeFileSync(path.join(dir, String(p)), '');
      assert.equal((await agent.run(['wait', name])).stdout.trim(), '0');
      assert.equal(await f.ended, 0, 'the follower ends with the workload');
      return { follower: f.lines(), warnings: f.stderr, log, last };
    } finally {
      f.stop();
    }
  }

  it('truncated (truncate -s 0): writing goes on at the new end, the follower reads the file again from its start', async () => {
    const s = await scenario('trunc', [40, 30], [], (log) => execFileSync('truncate', ['-s', '0', log]));
    assert.deepEqual(numbers(s.follower), range(1, 70), 'every line once, in order');
    assert.match(s.warnings, /truncated/);
    assert.deepEqual(numbers(jsonLines(s.log)), range(41, 70), 'the file holds what came after, from byte 0 (no hole)');
    const back = await agent.run(['logs', 'trunc']);
    assert.equal(back.stderr, '');
    assert.deepEqual(numbers(back.stdout.split('\n').slice(0, -1)), range(41, 70));
  });

  it('truncated with max-size set: the writer counts the file\'s size from what is left (no early rotation)', async () => {
    // 60 lines (~58 kB) then truncation; 80 more (~78 kB) still fit under 100k, so nothing rotates.
    const s = await scenario('trunc-size', [60, 80], ['--log-opt', 'max-size=100k', '--log-opt', 'max-file=2'], (log) => execFileSync('truncate', ['-s', '0', log]));
    assert.deepEqual(numbers(s.follower), range(1, 140));
    assert.deepEqual(numbers(jsonLines(s.log)), range(61, 140));
    assert.equal(fs.existsSync(`${s.log}.1`), false, 'no rotation happened');
  });

  it('the log file deleted: the next write creates it again and the follower moves on to it', async () => {
    const s = await scenario('unlinked', [40, 30], [], (log) => fs.rmSync(log));
    assert.deepEqual(numbers(s.follower), range(1, 70));
    assert.deepEqual(numbers(jsonLines(s.log)), range(41, 70));
  });

  it('the workload\'s whole folder removed: the next write recreates folder and file; logs, inspect and rm still work', async () => {
    const s = await scenario('rmdir', [40, 30], [], (log) => fs.rmSync(path.dirname(log), { recursive: true, force: true }));
    assert.deepEqual(numbers(s.follower), range(1, 70));
    assert.deepEqual(numbers(jsonLines(s.log)), range(41, 70));
    const back = await agent.run(['logs', 'rmdir']);
    assert.equal(back.stderr, '');
    assert.deepEqual(numbers(back.stdout.split('\n').slice(0, -1)), range(41, 70));
    assert.equal((await agent.run(['rm', 'rmdir'])).code, 0);
    assert.equal(fs.existsSync(path.dirname(s.log)), false);
  });

  it('logrotate copytruncate (moby#45728): the copy holds what came before, the follower goes on', { skip: hasLogrotate ? false : 'logrotate missing: apt-get install logrotate' }, async () => {
    const conf = path.join(flags, 'logrotate.conf');
    const state = path.join(flags, 'logrotate.state');
    const s = await scenario('copytrunc', [40, 30], [], (log) => {
      fs.writeFileSync(conf, `${log} {\n  copytruncate\n  rotate 1\n  missingok\n}\n`, { mode: 0o644 });
      execFileSync('logrotate', ['-f', '-s', state, conf]);
    });
    assert.deepEqual(numbers(s.follower), range(1, 70));
    assert.deepEqual(numbers(jsonLines(`${s.log}.1`)), range(1, 40), 'logrotate\'s copy');
    assert.deepEqual(numbers(jsonLines(s.log)), range(41, 70));
  });
});
