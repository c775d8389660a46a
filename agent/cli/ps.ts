import { Command } from 'commander';
import { InspectJson } from '../inspect';
import { CliContext } from './context';
import { humanDuration } from './humanize';

function ms(rfc: string): number {
  return Date.parse(rfc);
}

/** Docker's STATUS column: "Up 5 minutes", "Exited (0) 2 minutes ago", "Created", "Restarting (1) 3 seconds ago". */
export function statusText(w: InspectJson, now = Date.now()): string {
  const s = w.State;
  switch (s.Status) {
    case 'running': return `Up ${humanDuration(now - ms(s.StartedAt))}`;
    case 'restarting': return `Restarting (${s.ExitCode}) ${humanDuration(now - ms(s.FinishedAt))} ago`;
    case 'exited': return `Exited (${s.ExitCode}) ${humanDuration(now - ms(s.FinishedAt))} ago`;
    case 'created': return 'Created';
    default: return s.Status.charAt(0).toUpperCase() + s.Status.slice(1);
  }
}

function command(w: InspectJson, max: number): string {
  const c = w.Config.Cmd.join(' ');
  return JSON.stringify(c.length > max ? `${c.slice(0, max - 1)}…` : c);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n');
}

export function registerPs(program: Command, ctx: () => CliContext): void {
  program.command('ps').description('list workloads (running ones unless -a)')
    .option('-a, --all', 'show all workloads, not only running ones')
    .option('-q, --quiet', 'only print ids')
    .option('--no-trunc', 'do not truncate ids and commands')
    .option('--format <format>', 'table or json', 'table')
    .option('--no-redact', 'show secrets in commands and labels as they are')
    .action(async (o: { all?: boolean; quiet?: boolean; trunc: boolean; format: string; redact: boolean }) => {
      if (o.format !== 'table' && o.format !== 'json') throw new Error(`invalid value "${o.format}" for --format: expected table or json`);
      const list = await (await ctx().client()).json<InspectJson[]>('GET', `/workloads?all=${o.all ? 1 : 0}&redact=${o.redact ? 1 : 0}`);
      const id = (w: InspectJson) => (o.trunc ? w.Id.slice(0, 12) : w.Id);
      if (o.quiet) { for (const w of list) console.log(id(w)); return; }
      if (o.format === 'json') {
        const now = Date.now();
        for (const w of list) {
          console.log(JSON.stringify({
            ID: id(w), Names: w.Name.slice(1), Command: command(w, o.trunc ? 20 : Infinity), CreatedAt: w.Created,
            RunningFor: `${humanDuration(now - ms(w.Created))} ago`, State: w.State.Status, Status: statusText(w, now),
            Labels: Object.entries(w.Config.Labels).map(([k, v]) => `${k}=${v}`).join(','),
          }));
        }
        return;
      }
      const rows = [['CONTAINER ID', 'COMMAND', 'CREATED', 'STATUS', 'NAMES']];
      for (const w of list) rows.push([id(w), command(w, o.trunc ? 20 : Infinity), `${humanDuration(Date.now() - ms(w.Created))} ago`, statusText(w), w.Name.slice(1)]);
      console.log(table(rows));
    });
}
