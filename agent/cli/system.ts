import * as readline from 'node:readline/promises';
import { Command } from 'commander';
import { humanBytes } from '../stats';
import { configCandidates, findConfig } from '../compose/load';
import type { PruneStep, diskUsage, prune, systemInfo } from '../system';
import { ApiClient } from '../api/client';
import { readRecords } from '../api/logwire';
import { CliContext } from './context';
import { ProgressLine } from './progress';

/** The agent's facts, and the corral.yaml this CLI would use (found from its own directory and environment). */
type Info = ReturnType<typeof systemInfo> & { ConfigFile: string | null };
type Df = ReturnType<typeof diskUsage>;
type Pruned = Awaited<ReturnType<typeof prune>>;

function checkFormat(format: string): void {
  if (format !== 'table' && format !== 'json') throw new Error(`invalid value "${format}" for --format: expected table or json`);
}

function printInfo(i: Info): void {
  const lines = [
    `Version:           ${i.Version} (Node ${i.Node})`,
    `Kernel:            ${i.Kernel}`,
    `Operating System:  ${i.OperatingSystem}`,
    `Hostname:          ${i.Hostname}`,
    `CPUs / Memory:     ${i.CPUs} / ${humanBytes(i.MemTotal, true)}`,
    `Data root:         ${i.DataRoot} (agent pid ${i.AgentPid})`,
    `Workloads:         ${i.Workloads} (running ${i.WorkloadsRunning}, stopped ${i.WorkloadsStopped})`,
    `Cgroup version:    ${i.Cgroup.Version ?? 'none'} (${i.Cgroup.Mode}), parent ${i.Cgroup.Parent}`,
    `Controllers:       ${i.Cgroup.Controllers.map((c) => `${c.Name}${c.Writable ? '' : ' (read-only)'}`).join(' ') || 'none'}`,
    `Log drivers:       ${i.LogDrivers.join(' ')}`,
    `Live restore:      ${i.LiveRestore ? 'yes (workload holder built)' : 'no'}`,
    `Native addon:      ${i.NativeAddon ? 'yes' : 'no'}`,
    `Metrics:           ${i.MetricsAddr === 'off' ? 'off' : `http://${i.MetricsAddr}/metrics`}`,
    `Web view:          ${i.WebAddr === 'off' ? 'off' : `http://${i.WebAddr}/`}`,
  ];
  lines.push(`Config file:       ${i.ConfigFile ?? `none (looked for ${configCandidates(process.env, process.cwd()).map(([f]) => f).join(', ')})`}`);
  if (i.Unavailable.length) lines.push('Not available here:', ...i.Unavailable.map((u) => `  - ${u}`));
  console.log(lines.join('\n'));
}

function printDf(d: Df, verbose: boolean): void {
  const stopped = d.Workloads.filter((w) => w.State !== 'running' && w.State !== 'restarting');
  const pct = (part: number, whole: number) => (whole ? ` (${Math.round((part / whole) * 100)}%)` : '');
  const left = d.LeftoverSpools;
  const spoolsActive = d.Workloads.filter((w) => w.SpoolBytes > 0).length;
  const spoolsTotal = d.SpoolBytes + left.Bytes;
  console.log(['TYPE        TOTAL   ACTIVE  SIZE        RECLAIMABLE',
    `Workloads   ${String(d.Workloads.length).padEnd(8)}${String(d.Workloads.length - stopped.length).padEnd(8)}${humanBytes(d.TotalBytes, false).padEnd(12)}${humanBytes(d.ReclaimableBytes, false)}${pct(d.ReclaimableBytes, d.TotalBytes)}`,
    `Log spools  ${String(spoolsActive + left.Count).padEnd(8)}${String(spoolsActive).padEnd(8)}${humanBytes(spoolsTotal, false).padEnd(12)}${humanBytes(left.Bytes, false)}${pct(left.Bytes, spoolsTotal)}`,
  ].join('\n'));
  if (left.Count) {
    console.log(`\nSpools of removed workloads: ${left.Count} (${humanBytes(left.Bytes, false)} of unsent lines): sent when their servers answer; only \`corral system prune --spools\` deletes them`);
  }
  if (!verbose) return;
  const rows = [['WORKLOAD ID', 'NAME', 'STATE', 'LOG FILES', 'LOG SIZE', 'SPOOL SIZE'], ...d.Workloads.map((w) => [w.Id.slice(0, 12), w.Name, w.State, String(w.LogFiles), humanBytes(w.LogBytes, false), humanBytes(w.SpoolBytes, false)])];
  console.log(`\n${table(rows)}`);
  if (left.Count) {
    console.log(`\n${table([['SPOOL OF A REMOVED WORKLOAD', 'WORKLOAD ID', 'DRIVER', 'SIZE'], ...left.Spools.map((s) => [s.Path, s.Id.slice(0, 12), s.Driver, humanBytes(s.Bytes, false)])])}`);
  }
}

/** Columns padded to their widest cell, three spaces apart. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  return rows.map((r) => r.map((c, k) => (k === r.length - 1 ? c : c.padEnd(widths[k]! + 3))).join('')).join('\n');
}

/** Prune with a progress line on a terminal (workloads and bytes removed so far); plain JSON otherwise. */
async function pruneShowing(c: ApiClient, spools: boolean): Promise<Pruned> {
  let step: PruneStep | undefined;
  const q = spools ? '&spools=1' : '';
  const line = ProgressLine.onStderr(() => `removing stopped workloads: ${step ? `${step.Done} of ${step.Of} removed, ${humanBytes(step.ReclaimedBytes, false)} reclaimed` : 'starting'}`);
  if (!line) return c.json<Pruned>('POST', `/system/prune${spools ? '?spools=1' : ''}`);
  try {
    for await (const r of readRecords(await c.stream('POST', `/system/prune?progress=1${q}`))) {
      const rec = r as unknown as Partial<PruneStep & Pruned & { w: string }>;
      if (rec.w !== undefined) throw new Error(rec.w);
      if (rec.Deleted) return rec as Pruned;
      step = rec as PruneStep;
      line.update();
    }
    throw new Error('the agent ended the prune without its result');
  } finally {
    line.end();
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try { return /^y(es)?$/i.test((await rl.question(question)).trim()); } finally { rl.close(); }
}

/** `corral system info|df|prune`. */
export function registerSystem(program: Command, ctx: () => CliContext): void {
  const system = program.command('system').description('the agent, its host and its disk use');
  system.command('info').description('versions, cgroups, log drivers, and what is not available here and why')
    .option('--format <format>', 'table or json', 'table')
    .action(async (o: { format: string }) => {
      checkFormat(o.format);
      const info: Info = { ...await (await ctx().client()).json<Info>('GET', '/system/info'), ConfigFile: findConfig(undefined)?.file ?? null };
      if (o.format === 'json') console.log(JSON.stringify(info, null, 2)); else printInfo(info);
    });
  system.command('df').description('log disk use of workloads: log files, log spools, and spools removed workloads left')
    .option('-v, --verbose', 'one line per workload, and each spool of a removed workload by path')
    .option('--format <format>', 'table or json', 'table')
    .action(async (o: { verbose?: boolean; format: string }) => {
      checkFormat(o.format);
      const df = await (await ctx().client()).json<Df>('GET', '/system/df');
      if (o.format === 'json') console.log(JSON.stringify(df, null, 2)); else printDf(df, !!o.verbose);
    });
  system.command('prune').description('remove every workload that is not running, with its logs (their spools\' unsent lines stay unless --spools)')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--spools', 'also delete the spools of removed workloads, with the lines they have not sent yet')
    .action(async (o: { force?: boolean; spools?: boolean }) => {
      const what = o.spools ? 'all stopped workloads and their logs, and the unsent lines in the spools of removed workloads' : 'all stopped workloads and their logs';
      if (!o.force && !(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return;
      const r = await pruneShowing(await ctx().client(), !!o.spools);
      if (r.Deleted.length) console.log(['Deleted Workloads:', ...r.Deleted, ''].join('\n'));
      if (r.Spools.Removed.length) console.log(['Deleted spools of removed workloads (unsent lines):', ...r.Spools.Removed, ''].join('\n'));
      if (r.Spools.Left) {
        console.log(`Left in place: ${r.Spools.Left} spool${r.Spools.Left === 1 ? '' : 's'} of removed workloads with ${humanBytes(r.Spools.LeftBytes, false)} of unsent lines (sent when their servers answer; --spools deletes them)`);
      }
      console.log(`Total reclaimed space: ${humanBytes(r.ReclaimedBytes, false)}`);
    });
}
