import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyStats } from '../../engine/cgroups/types';
import { NO_LIMITS } from '../../engine/cgroups/limits';
import { Snapshot, WorkloadSample } from '../../engine/snapshot';
import { History } from '../../agent/view/history';
import { bar, formatTable, layout, limitLines, shortDuration, sortRows, sparkline, topRows, visibleRows } from '../../agent/view/rows';
import { INITIAL_VIEW, ViewState, footer, keepSelection, onKey, scrollOffset } from '../../agent/view/state';

const SEC = 1_000_000_000n;

/** One workload at second `t` having used `cpuS` CPU seconds and written `written` bytes. */
function workload(name: string, t: number, cpuS: number, written: number, extra: Partial<WorkloadSample> = {}): WorkloadSample {
  const stats = emptyStats();
  stats.cpu.usageNs = cpuS * 1e9;
  stats.cpu.periods = t * 10;
  stats.cpu.throttledPeriods = t * 5;
  stats.memory.workingSet = 32 * 1024 * 1024;
  stats.pids.current = 3;
  stats.io.devices = [{ major: 254, minor: 0, readBytes: 0, writeBytes: written, reads: 0, writes: 0 }];
  return {
    id: name.padEnd(64, '0'), name, cgroupPath: `/corral/${name}`, labels: {}, state: 'running', restartCount: 2, oomKillCount: 1,
    startedAt: 1000, limits: { ...NO_LIMITS, memory: 64 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 100 },
    stats, logs: { messages: { stdout: 0, stderr: 0 }, bytes: 0, drivers: [] }, ...extra,
  };
}

function snap(t: number, ws: WorkloadSample[]): Snapshot {
  return { time: BigInt(1000 + t) * SEC, systemCpuNs: t * 2e9, onlineCpus: 2, workloads: ws, durationSeconds: 0, errors: 0 };
}

describe('corral top rows', () => {
  const before = snap(0, [workload('web', 0, 0, 0), workload('db', 0, 0, 0)]);
  const now = snap(2, [workload('web', 2, 1, 2_000_000), workload('db', 2, 0.2, 0), workload('old', 2, 0, 0, { state: 'exited', stats: null })]);
  const rows = topRows(now, before);

  it('adds rates, uptime, restarts and OOM kills to stats rows', () => {
    const web = rows.find((r) => r.name === 'web')!;
    assert.equal(web.cpuPercent, 50, 'Docker CPU %: 1 s of 4 CPU-seconds x 2 CPUs');
    assert.equal(web.cpuOfLimitPercent, 100, '0.5 CPU per second against --cpus 0.5');
    assert.equal(web.writeRate, 1_000_000);
    assert.equal(web.readRate, 0);
    assert.equal(web.uptime, 2);
    assert.equal(web.restarts, 2);
    assert.equal(web.oomKills, 1);
    assert.equal(web.throttledPercent, 50);
    const old = rows.find((r) => r.name === 'old')!;
    assert.equal(old.uptime, null);
    assert.equal(old.writeRate, null);
  });

  it('sorts by any column both ways, names breaking ties, and hides exited unless asked', () => {
    assert.deepEqual(sortRows(rows, 'cpu', true).map((r) => r.name), ['web', 'db', 'old']);
    assert.deepEqual(sortRows(rows, 'cpu', false).map((r) => r.name), ['old', 'db', 'web']);
    assert.deepEqual(sortRows(rows, 'name', false).map((r) => r.name), ['db', 'old', 'web']);
    assert.deepEqual(sortRows(rows, 'restarts', true).map((r) => r.name), ['db', 'old', 'web'], 'equal values: by name');
    assert.deepEqual(visibleRows(rows, '', false).map((r) => r.name), ['web', 'db']);
    assert.deepEqual(visibleRows(rows, 'o', true).map((r) => r.name), ['old']);
  });

  it('formats a table that fits the terminal, dropping the least useful columns first', () => {
    const wide = formatTable(rows, 200);
    assert.match(wide.header, /^NAME\s+STATE\s+CPU%\s+CPU%LIM\s+MEM USAGE\/LIMIT\s+MEM\s+MEM%\s+THROTL\s+IO R\/W \/s\s+PIDS\s+RST\s+OOM\s+UPTIME$/);
    assert.match(wide.lines[0]!, /^web\s+running\s+50\.0%\s+100\.0%\s+32MiB\/64MiB\s+█{4}░{4}\s+50\.0%\s+50\.0%\s+0B\/1MB\s+3\/100\s+2\s+1\s+2s$/);
    for (const width of [120, 80, 60, 30]) {
      const t = formatTable(rows, width);
      for (const l of [t.header, ...t.lines]) assert.ok(l.length <= width, `${width}: "${l}"`);
    }
    const narrow = layout(60, ['web']).columns.map((c) => c.title);
    assert.ok(narrow.includes('CPU%') && narrow.includes('MEM USAGE/LIMIT'));
    assert.ok(!narrow.includes('UPTIME') && !narrow.includes('MEM'));
    const long = formatTable([{ ...rows[0]!, name: 'a-very-long-workload-name-indeed' }], 60).lines[0]!;
    assert.match(long, /^a-very-\S+… running/);
    assert.equal(formatTable(Array.from({ length: 500 }, (_, i) => ({ ...rows[0]!, name: `w${i}` })), 120).lines.length, 500);
  });

  it('draws bars, sparklines and durations', () => {
    assert.equal(bar(16, 64, 8), '██░░░░░░');
    assert.equal(bar(null, 64, 4), '    ');
    assert.equal(sparkline([0, 50, 100, null], 6, 100), '  ▁▅█ ');
    assert.equal(sparkline([1, 2, 3, 4, 5, 6, 7, 8, 9], 3), '▆▇█', 'the newest values, scaled to their max');
    assert.equal(shortDuration(45), '45s');
    assert.equal(shortDuration(750), '12m30s');
    assert.equal(shortDuration(4 * 3600 + 300), '4h05m');
    assert.equal(shortDuration(2 * 86400 + 3 * 3600), '2d03h');
    assert.equal(shortDuration(null), '--');
  });

  it('lists the limits a workload runs under', () => {
    const text = limitLines({ ...NO_LIMITS, memory: 64 * 1024 * 1024, nanoCpus: 1_500_000_000, pidsLimit: 200, cpusetCpus: '0-1',
      deviceWriteBps: [{ path: '/dev/vda', major: 254, minor: 0, rate: 10_000_000 }] }, 8 * 1024 ** 3).join('\n');
    assert.match(text, /memory\s+64MiB \(host 8GiB\)/);
    assert.match(text, /cpus\s+1\.50 \(150000us per 100000us\)/);
    assert.match(text, /pids\s+200/);
    assert.match(text, /cpuset\s+cpus 0-1, mems all/);
    assert.match(text, /block I\/O\s+write \/dev\/vda 10MB\/s/);
    assert.match(limitLines(NO_LIMITS, 1).join('\n'), /memory\s+unlimited[\s\S]*cpus\s+unlimited[\s\S]*pids\s+unlimited/);
  });

  it('keeps a bounded history per workload and forgets removed ones', () => {
    const h = new History(3);
    for (let i = 0; i < 5; i++) h.push(rows.slice(0, 2));
    assert.equal(h.cpu(rows[0]!.id).length, 3);
    assert.equal(h.mem(rows[0]!.id)[0], 32 * 1024 * 1024);
    h.push(rows.slice(1, 2));
    assert.deepEqual(h.cpu(rows[0]!.id), []);
  });
});

describe('corral top keys', () => {
  const ids = ['a', 'b', 'c', 'd'];
  const press = (s: ViewState, key: Parameters<typeof onKey>[1]) => onKey(s, key, ids, 2);
  const start = keepSelection(INITIAL_VIEW, ids);

  it('selects the first row and moves with arrows, j/k, pages, Home and End', () => {
    assert.equal(start.selected, 'a');
    assert.equal(press(start, { name: 'down' }).state.selected, 'b');
    assert.equal(press(start, { name: 'up' }).state.selected, 'a');
    assert.equal(press(start, { name: 'j', ch: 'j' }).state.selected, 'b');
    assert.equal(press(start, { name: 'pagedown' }).state.selected, 'c');
    assert.equal(press(start, { name: 'end' }).state.selected, 'd');
    assert.equal(press({ ...start, selected: 'd' }, { name: 'home' }).state.selected, 'a');
    assert.equal(keepSelection({ ...start, selected: 'gone' }, ids).selected, 'a');
  });

  it('sorts by the key pressed, flipping the order on a second press', () => {
    const byMem = press(start, { ch: 'm', name: 'm' }).state;
    assert.deepEqual([byMem.sort, byMem.desc], ['mem', true]);
    const flipped = press(byMem, { ch: 'm', name: 'm' }).state;
    assert.deepEqual([flipped.sort, flipped.desc], ['mem', false]);
    const byName = press(start, { ch: 'n', name: 'n' }).state;
    assert.deepEqual([byName.sort, byName.desc], ['name', false], 'names A to Z first');
    assert.equal(press(start, { ch: 'a', name: 'a' }).state.all, true);
  });

  it('edits a filter after / and keeps or clears it', () => {
    let s = press(start, { ch: '/' }).state;
    assert.equal(s.mode, 'filter');
    for (const ch of 'webx') s = press(s, { ch, name: ch }).state;
    s = press(s, { name: 'backspace' }).state;
    assert.equal(s.filter, 'web');
    assert.match(footer(s), /filter: web/);
    const kept = press(s, { name: 'enter' }).state;
    assert.deepEqual([kept.mode, kept.filter], ['list', 'web']);
    const cleared = press(s, { name: 'escape' }).state;
    assert.deepEqual([cleared.mode, cleared.filter], ['list', '']);
  });

  it('opens the selected workload, stops or restarts it, and goes back or quits', () => {
    const open = press({ ...start, selected: 'c' }, { name: 'enter' });
    assert.deepEqual(open.action, { kind: 'open', id: 'c' });
    assert.equal(open.state.mode, 'detail');
    assert.deepEqual(press(open.state, { ch: 's', name: 's' }).action, { kind: 'stop', id: 'c' });
    assert.deepEqual(press(open.state, { ch: 'r', name: 'r' }).action, { kind: 'restart', id: 'c' });
    assert.deepEqual(press(open.state, { ch: 'j', name: 'j' }).state, open.state, 'list keys do nothing in the detail view');
    const back = press(open.state, { name: 'escape' });
    assert.deepEqual([back.state.mode, back.action.kind], ['list', 'close']);
    assert.equal(press(start, { ch: 'q', name: 'q' }).action.kind, 'quit');
    assert.equal(press(open.state, { name: 'c', ctrl: true }).action.kind, 'quit');
    assert.equal(onKey(start, { name: 'enter' }, [], 2).action.kind, 'none', 'nothing to open');
  });

  it('scrolls just enough to keep the selection on screen', () => {
    assert.equal(scrollOffset(0, 10, 0, 100), 0);
    assert.equal(scrollOffset(15, 10, 0, 100), 6);
    assert.equal(scrollOffset(8, 10, 6, 100), 6);
    assert.equal(scrollOffset(3, 10, 6, 100), 3);
    assert.equal(scrollOffset(2, 10, 6, 5), 0, 'shrunk list');
  });
});
