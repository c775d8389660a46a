import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiClient } from '../../agent/api/client';
import { BIN, TestAgent, eventually } from '../helpers/cli';

const V1 = fs.existsSync('/sys/fs/cgroup/cpu/cgroup.procs') && process.getuid?.() === 0;
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const BULK = 40;

/** A terminal of 120x30 in tmux running `corral top`, read back with capture-pane. */
class Terminal {
  readonly session = `corral-top-${process.pid}`;

  open(root: string, args: string[]): void {
    this.close();
    const cmd = [process.execPath, BIN, '--data-root', root, 'top', ...args].map((a) => `'${a}'`).join(' ');
    execFileSync('tmux', ['new-session', '-d', '-x', '120', '-y', '30', '-s', this.session, `env CORRAL_NO_AUTOSTART=1 ${cmd}`]);
  }

  keys(...keys: string[]): void { execFileSync('tmux', ['send-keys', '-t', this.session, ...keys]); }

  screen(): string[] { return execFileSync('tmux', ['capture-pane', '-p', '-t', this.session], { encoding: 'utf8' }).replace(/\n$/, '').split('\n'); }

  alive(): boolean { return spawnSync('tmux', ['has-session', '-t', this.session]).status === 0; }

  close(): void { spawnSync('tmux', ['kill-session', '-t', this.session]); }

  /** Waits until the screen satisfies `test`; returns the lines. */
  until(what: string, test: (lines: string[]) => boolean): Promise<string[]> {
    return eventually(what, async () => { const s = this.screen(); return test(s) ? s : undefined; }, 200, 50)
      .catch((e: Error) => { throw new Error(`${e.message}; screen:\n${this.screen().join('\n')}`); });
  }
}

/** Names in the table body: the first word of every line that starts with a known workload name. */
const tableNames = (lines: string[], known: Set<string>) => lines.map((l) => l.split(' ')[0]!).filter((n) => known.has(n));

describe('corral top', { skip: !V1 ? 'needs root and cgroup v1 controllers' : !HAS_TMUX ? 'tmux missing: apt-get install tmux' : false }, () => {
  const agent = new TestAgent();
  const term = new Terminal();
  const names = new Set<string>();
  let marker = '';
  before(async () => {
    await agent.start();
    marker = path.join(agent.root, 'say');
    await agent.run(['run', '-d', '--name', 'alpha', '--cpus', '0.5', '--', 'sh', '-c', 'while :; do :; done']);
    // logger prints whatever the test drops into a file, so the test knows what a fresh line is.
    await agent.run(['run', '-d', '--name', 'logger', '-m', '64m', '--pids-limit', '50', '--',
      'sh', '-c', `while :; do if [ -f ${marker} ]; then cat ${marker}; rm -f ${marker}; fi; sleep 0.1; done`]);
    await agent.run(['run', '--name', 'gone', '--', 'true']);
    const api = new ApiClient(agent.socket);
    for (let i = 0; i < BULK; i++) {
      const { Id } = await api.json<{ Id: string }>('POST', '/workloads', { name: `bulk-${String(i).padStart(2, '0')}`, path: 'sleep', args: ['300'] });
      await api.json('POST', `/workloads/${Id}/start`);
    }
    for (const n of ['alpha', 'logger', 'gone', ...Array.from({ length: BULK }, (_, i) => `bulk-${String(i).padStart(2, '0')}`)]) names.add(n);
  });
  after(async () => {
    term.close();
    await agent.stop();
  });

  it('shows every running workload, sorts, filters, shows exited ones, scrolls and resizes', async () => {
    term.open(agent.root, []);
    let screen = await term.until('alpha on top, sorted by CPU', (s) => tableNames(s, names)[0] === 'alpha' && /alpha\s+running\s+[\d.]+%/.test(s.join('\n')));
    assert.match(screen[1]!, /^NAME\s+STATE\s+CPU%\s+CPU%LIM\s+MEM USAGE\/LIMIT/);
    assert.match(screen.at(-2)!, /sort: n name {2}S state {2}c cpu/, 'sort keys in the footer');
    assert.ok(!tableNames(screen, names).includes('gone'), 'exited ones hidden by default');
    assert.equal(tableNames(screen, names).length, 30 - 4, 'the screen is full of rows: 2 title lines, 2 footer lines');

    term.keys('n');
    screen = await term.until('sorted by name', (s) => tableNames(s, names)[1] === 'bulk-00');
    const shown = tableNames(screen, names);
    assert.deepEqual(shown, [...shown].sort(), 'A to Z');
    assert.ok(!shown.includes('logger'), 'logger sorts last, below the fold');
    term.keys('End');
    await term.until('scrolled to the last row', (s) => tableNames(s, names).at(-1) === 'logger');
    term.keys('n');
    await term.until('Z to A', (s) => tableNames(s, names)[0] === 'logger' && tableNames(s, names)[1] === 'bulk-39');

    term.keys('/', 'b', 'u', 'l', 'k', '-', '1', 'Enter');
    screen = await term.until('only bulk-1x', (s) => tableNames(s, names).length === 10 && tableNames(s, names).every((n) => n.startsWith('bulk-1')));
    assert.match(screen.join('\n'), /filter "bulk-1"/);
    // Escape on its own: Escape followed at once by a key reads as Meta+key in a terminal.
    term.keys('/');
    await term.until('filter prompt', (s) => s.at(-2)!.startsWith('filter: bulk-1'));
    term.keys('Escape');
    await term.until('filter cleared', (s) => s.at(-2)!.startsWith('sort:') && tableNames(s, names).length > 10);
    term.keys('a');
    screen = await term.until('exited shown', (s) => s.some((l) => /^gone\s+exited/.test(l)));
    term.keys('a');
    await term.until('exited hidden again', (s) => !s.some((l) => /^gone\s/.test(l)) && tableNames(s, names).length > 0);

    execFileSync('tmux', ['resize-window', '-t', term.session, '-x', '70', '-y', '20']);
    // A redraw can be caught half done: wait for the whole narrow screen.
    screen = await term.until('narrow layout with 16 rows', (s) => /^NAME\s+STATE\s+CPU%/.test(s[1]!) && !s[1]!.includes('UPTIME')
      && tableNames(s, names).length === 20 - 4);
    for (const l of screen) assert.ok(l.length <= 70, `fits 70 columns: "${l}"`);
    execFileSync('tmux', ['resize-window', '-t', term.session, '-x', '120', '-y', '30']);
    await term.until('wide again', (s) => s[1]!.includes('UPTIME'));
    term.keys('q');
    await eventually('top quits on q', async () => !term.alive());
  });

  it('opens a workload: its limits, charts and live logs; stops it from there', async () => {
    term.open(agent.root, []);
    await term.until('rows', (s) => tableNames(s, names).includes('alpha'));
    term.keys('/', 'l', 'o', 'g', 'g', 'e', 'r', 'Enter');
    await term.until('only logger', (s) => tableNames(s, names).join() === 'logger');
    term.keys('Enter');
    let screen = await term.until('the detail view', (s) => s.some((l) => l.includes('logs (follow)')));
    assert.match(screen[0]!, /^logger\s+[0-9a-f]{12}\s+running/);
    const text = () => term.screen().join('\n');
    assert.match(text(), /memory\s+64MiB/);
    assert.match(text(), /pids\s+50/);
    assert.match(text(), /CPU % of the host/);
    const line = `hello-from-the-test-${Date.now()}`;
    fs.writeFileSync(marker, `${line}\n`);
    screen = await term.until('the line just written in the log pane', (s) => s.some((l) => l.includes(line)));
    assert.match(screen.at(-2)!, /s stop {3}r restart {3}q\/Esc back/);

    term.keys('s');
    await term.until('stopped', (s) => /^logger\s+[0-9a-f]{12}\s+exited/.test(s[0]!));
    const ps = await agent.run(['ps', '-a', '--format', 'json']);
    assert.match(ps.stdout, /"Names":"logger"[^\n]*"State":"exited"|"State":"exited"[^\n]*"Names":"logger"/);
    term.keys('Escape');
    await term.until('back to the list, logger gone from running ones', (s) => s[1]!.startsWith('NAME') && !tableNames(s, names).includes('logger'));
    term.keys('C-c');
    await eventually('top quits on Ctrl-C', async () => !term.alive());
  });

  it('prints plain tables with --no-tui and when stdout is not a terminal', async () => {
    const r = await agent.run(['top', '--no-tui', '-n', '2', '-a']);
    assert.equal(r.code, 0, r.stderr);
    const tables = r.stdout.trim().split('\n\n');
    assert.equal(tables.length, 2);
    for (const t of tables) {
      const lines = t.split('\n');
      assert.match(lines[0]!, /^NAME\s+STATE\s+CPU%\s+CPU%LIM\s+MEM USAGE\/LIMIT\s+MEM\s+MEM%\s+THROTL\s+IO R\/W \/s\s+PIDS\s+RST\s+OOM\s+UPTIME$/);
      assert.ok(lines.some((l) => /^alpha\s+running\s+[\d.]+%\s+[\d.]+%/.test(l)), t);
      assert.ok(lines.some((l) => /^gone\s+exited/.test(l)));
    }
    const bad = await agent.run(['top', '--no-tui', '-n', '0']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /--iterations/);
  });
});
