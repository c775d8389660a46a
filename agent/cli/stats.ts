import { Command } from 'commander';
import { Snapshot } from '../../engine/snapshot';
import { readRecords } from '../api/logwire';
import { StatsRow, humanBytes, parseSnapshot, statsRows } from '../stats';
import { CliContext } from './context';

const pct = (v: number | null) => (v === null ? '--' : `${v.toFixed(2)}%`);

function table(rows: StatsRow[]): string {
  const head = ['CONTAINER ID', 'NAME', 'CPU %', 'CPU % OF LIMIT', 'MEM USAGE / LIMIT', 'MEM %', 'BLOCK I/O', 'PIDS', 'THROTTLED'];
  const body = rows.map((r) => [
    r.id.slice(0, 12), r.name, pct(r.cpuPercent), pct(r.cpuOfLimitPercent),
    `${r.memUsage === null ? '--' : humanBytes(r.memUsage, true)} / ${humanBytes(r.memLimit, true)}`, pct(r.memPercent),
    `${humanBytes(r.blockRead, false)} / ${humanBytes(r.blockWrite, false)}`, r.pids === null ? '--' : String(r.pids), pct(r.throttledPercent),
  ]);
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')).join('\n');
}

/** `corral stats`: Docker's columns and formulas, plus CPU % of the workload's own limit and throttling. */
export function registerStats(program: Command, ctx: () => CliContext): void {
  program.command('stats').description('live resource usage of workloads (running ones unless -a)')
    .argument('[workload...]')
    .option('-a, --all', 'show all workloads, not only running ones')
    .option('--no-stream', 'print one sample and exit')
    .option('--format <format>', 'table or json', 'table')
    .action(async (refs: string[], o: { all?: boolean; stream: boolean; format: string }) => {
      if (o.format !== 'table' && o.format !== 'json') throw new Error(`invalid value "${o.format}" for --format: expected table or json`);
      const res = await (await ctx().client()).stream('GET', `/stats${o.stream ? '?stream=1' : ''}`);
      const pick = (r: StatsRow) => (refs.length ? refs.some((x) => r.name === x || r.id.startsWith(x)) : o.all || r.state === 'running');
      let before: Snapshot | undefined;
      let printed = false;
      const print = (now: Snapshot) => {
        const rows = statsRows(now, before).filter(pick);
        if (o.format === 'json') for (const r of rows) console.log(JSON.stringify(r));
        else console.log(`${o.stream && printed ? '\x1b[2J\x1b[H' : ''}${table(rows)}`);
        printed = true;
      };
      const snaps: Snapshot[] = [];
      for await (const rec of readRecords(res)) {
        const now = parseSnapshot(rec);
        snaps.push(now);
        if (!o.stream) continue;
        if (before) print(now);
        before = now;
      }
      if (!o.stream && snaps.length) { before = snaps.length > 1 ? snaps[0] : undefined; print(snaps[snaps.length - 1]!); }
    });
}
