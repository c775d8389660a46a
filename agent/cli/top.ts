import * as os from 'node:os';
import { Command } from 'commander';
import { Snapshot } from '../../engine/snapshot';
import { ApiClient } from '../api/client';
import { readRecords } from '../api/logwire';
import { humanBytes, parseSnapshot } from '../stats';
import type { TopScreen } from '../view/blessed';
import { History } from '../view/history';
import { TopRow, formatTable, limitLines, shortDuration, sortRows, sparkline, topRows, visibleRows } from '../view/rows';
import { INITIAL_VIEW, ViewAction, ViewState, footer, keepSelection, onKey, scrollOffset } from '../view/state';
import { CliContext } from './context';
import { readOnlyMessage } from '../watch/message';

interface TopFlags { all?: boolean; tui: boolean; iterations?: string }

/** Reads the agent's snapshot stream; calls `fn` with each snapshot and the one before it. */
async function eachSnapshot(client: ApiClient, signal: AbortSignal, fn: (now: Snapshot, before: Snapshot) => boolean | void): Promise<void> {
  const res = await client.stream('GET', '/stats?stream=1', undefined, signal);
  let before: Snapshot | undefined;
  for await (const rec of readRecords(res)) {
    const now = parseSnapshot(rec);
    if (before && fn(now, before) === false) { res.destroy(); return; }
    before = now;
  }
}

/** `--no-tui` and pipes: a plain table per refresh, like `top -b`. */
async function plainTop(client: ApiClient, f: TopFlags): Promise<void> {
  const limit = f.iterations === undefined ? Infinity : Number(f.iterations);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`invalid value "${f.iterations}" for --iterations: expected a whole number of tables, 1 or more`);
  const width = process.stdout.isTTY ? process.stdout.columns : Infinity;
  let printed = 0;
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  await eachSnapshot(client, abort.signal, (now, before) => {
    const rows = sortRows(visibleRows(topRows(now, before), '', !!f.all), 'name', false);
    const t = formatTable(rows, width);
    process.stdout.write(`${printed ? '\n' : ''}${[t.header, ...t.lines].join('\n')}\n`);
    return ++printed < limit;
  }).catch((e) => { if (!abort.signal.aborted) throw e; });
}

/** The full-screen view: state from keys, rows from snapshots, drawing by view/blessed. */
class TopController {
  private state: ViewState;
  private rows: TopRow[] = [];
  private readonly history = new History();
  private offset = 0;
  private status = '';
  private logs: AbortController | undefined;
  private readonly screen: TopScreen;

  constructor(private readonly client: ApiClient, all: boolean, private readonly done: () => void) {
    // Loaded here so that no other command pays for blessed.
    const { openTopScreen } = require('../view/blessed') as typeof import('../view/blessed');
    this.screen = openTopScreen();
    this.state = { ...INITIAL_VIEW, all };
    this.screen.onKey((k) => this.key(k));
    this.screen.onResize(() => this.draw());
    this.draw();
  }

  snapshot(now: Snapshot, before: Snapshot): void {
    this.rows = topRows(now, before);
    this.history.push(this.rows);
    this.draw();
  }

  close(): void {
    this.logs?.abort();
    this.screen.destroy();
  }

  private visible(): TopRow[] {
    return sortRows(visibleRows(this.rows, this.state.filter, this.state.all), this.state.sort, this.state.desc);
  }

  private key(k: Parameters<typeof onKey>[1]): void {
    const { state, action } = onKey(this.state, k, this.visible().map((r) => r.id), this.screen.tableRows);
    this.state = state;
    this.act(action);
    this.draw();
  }

  private act(a: ViewAction): void {
    switch (a.kind) {
      case 'quit': this.done(); return;
      case 'open': this.status = ''; this.follow(a.id); return;
      case 'close': this.logs?.abort(); this.logs = undefined; this.status = ''; return;
      case 'stop': this.command(a.id, 'stop', 'stopping'); return;
      case 'restart': this.command(a.id, 'restart', 'restarting'); return;
      case 'none': return;
    }
  }

  private command(id: string, verb: 'stop' | 'restart', doing: string): void {
    const row = this.rows.find((r) => r.id === id);
    if (row && row.source !== 'corral') { this.status = readOnlyMessage(row.name); return; }
    this.status = `${doing}…`;
    this.client.json('POST', `/workloads/${id}/${verb}?t=10`)
      .then(() => { this.status = `${verb === 'stop' ? 'stopped' : 'restarted'}`; })
      .catch((e: Error) => { this.status = `${verb} failed: ${e.message}`; })
      .finally(() => this.draw());
  }

  /** Streams the opened workload's log into the log pane until the view is closed. */
  private follow(id: string): void {
    this.logs?.abort();
    const abort = (this.logs = new AbortController());
    this.screen.clearLog();
    (async () => {
      const res = await this.client.stream('GET', `/workloads/${id}/logs?follow=1&tail=200`, undefined, abort.signal);
      for await (const rec of readRecords(res)) {
        if (rec.l !== undefined) this.screen.appendLog(Buffer.from(rec.l, rec.b ? 'base64' : 'utf8').toString('utf8').replace(/\n$/, ''), rec.s === 'stderr');
        else if (rec.w !== undefined) this.screen.appendLog(`[corral] ${rec.w}`, true);
      }
    })().catch((e: Error) => { if (!abort.signal.aborted) this.screen.appendLog(`[corral] logs: ${e.message}`, true); });
  }

  private draw(): void {
    if (this.state.mode === 'detail') this.drawDetail();
    else this.drawList();
  }

  private drawList(): void {
    const vis = this.visible();
    const ids = vis.map((r) => r.id);
    this.state = keepSelection(this.state, ids);
    const selected = this.state.selected === null ? -1 : ids.indexOf(this.state.selected);
    const height = this.screen.tableRows;
    this.offset = scrollOffset(selected, height, this.offset, vis.length);
    const table = formatTable(vis, this.screen.width);
    const running = this.rows.filter((r) => r.state === 'running').length;
    const title = `corral top   ${os.hostname()}   ${running} running / ${this.rows.length} workloads   ${vis.length} shown   ${new Date().toLocaleTimeString()}`;
    this.screen.showList(title, table.header, table.lines.slice(this.offset, this.offset + height), selected - this.offset, footer(this.state));
  }

  private drawDetail(): void {
    const r = this.rows.find((x) => x.id === this.state.selected);
    const foot = footer(this.state) + (this.status ? `   ${this.status}` : '');
    if (!r) { this.screen.showDetail('workload removed', [], [], foot); return; }
    const width = this.screen.chartWidth;
    const limited = r.cpuOfLimitPercent !== null;
    const cpuNow = limited ? r.cpuOfLimitPercent : r.cpuPercent;
    const title = `${r.name}   ${r.id.slice(0, 12)}   ${r.state}   up ${shortDuration(r.uptime)}   restarts ${r.restarts}   OOM kills ${r.oomKills}`;
    const charts = [
      `CPU ${limited ? '% of its limit' : '% of the host'}: ${cpuNow === null ? '--' : cpuNow.toFixed(1) + '%'}`,
      sparkline(this.history.cpu(r.id), width, limited ? 100 : undefined),
      `memory: ${r.memUsage === null ? '--' : humanBytes(r.memUsage, true)} of ${humanBytes(r.memLimit, true)}`,
      sparkline(this.history.mem(r.id), width, r.limits.memory ?? undefined),
      `throttled ${r.throttledPercent === null ? '--' : r.throttledPercent.toFixed(1) + '%'}   pids ${r.pids ?? '--'}/${r.pidsLimit ?? '-'}`,
    ];
    this.screen.showDetail(title, limitLines(r.limits, os.totalmem()), charts, foot);
  }
}

/** `corral top`: live full-screen view of every workload; a plain table with --no-tui or without a terminal. */
export function registerTop(program: Command, ctx: () => CliContext): void {
  program.command('top').description('live view of workloads: CPU, memory, throttling, I/O, pids, restarts, OOM kills and logs')
    .option('-a, --all', 'show exited workloads too (toggle with "a")')
    .option('--no-tui', 'print a plain table every second instead of the full-screen view')
    .option('-n, --iterations <n>', 'plain tables only: stop after this many')
    .action(async (f: TopFlags) => {
      const client = await ctx().client();
      if (!f.tui || !process.stdout.isTTY || !process.stdin.isTTY) { await plainTop(client, f); return; }
      const abort = new AbortController();
      const view = new TopController(client, !!f.all, () => abort.abort());
      let failure: unknown;
      try {
        await eachSnapshot(client, abort.signal, (now, before) => view.snapshot(now, before));
        if (!abort.signal.aborted) failure = new Error('the agent closed the stats stream');
      } catch (e) {
        if (!abort.signal.aborted) failure = e;
      }
      view.close();
      if (failure) throw failure;
      process.exit(0);
    });
}
