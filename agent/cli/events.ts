import { Command } from 'commander';
import { parseTimeArg } from '../../engine/logs/timearg';
import { formatRFC3339Nano } from '../../engine/logs/timefmt';
import { readRecords } from '../api/logwire';
import { AgentEvent, FILTER_KEYS } from '../events';
import { CliContext } from './context';

const collect = (v: string, prev: string[]) => [...prev, v];

/** Docker's default line: `<time> container <action> <id> (k=v, ...)`. */
export function formatEvent(e: AgentEvent): string {
  const attrs = Object.keys(e.Actor.Attributes).sort().map((k) => `${k}=${e.Actor.Attributes[k]}`).join(', ');
  return `${formatRFC3339Nano(BigInt(e.timeNano))} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}`;
}

export function registerEvents(program: Command, ctx: () => CliContext): void {
  program.command('events').description('stream workload events (create, start, die, oom, restart, destroy, ...)')
    .option('--since <time>', 'replay events since this time (10m, RFC3339, Unix seconds)')
    .option('--until <time>', 'stop at this time')
    .option('-f, --filter <key=value>', `filter: ${FILTER_KEYS.join(', ')} (repeatable)`, collect, [])
    .option('--format <format>', '"json" for one JSON object per line')
    .action(async (o: { since?: string; until?: string; filter: string[]; format?: string }) => {
      if (o.format !== undefined && o.format !== 'json') throw new Error(`invalid value "${o.format}" for --format: expected json`);
      const now = BigInt(Date.now()) * 1_000_000n;
      const filters: Record<string, string[]> = {};
      for (const f of o.filter) {
        const i = f.indexOf('=');
        const key = f.slice(0, i);
        if (i < 1 || !FILTER_KEYS.includes(key)) throw new Error(`invalid value "${f}" for --filter: expected key=value with key one of ${FILTER_KEYS.join(', ')}`);
        if (i === f.length - 1) throw new Error(`invalid value "${f}" for --filter: ${key} needs a value (${key}=VALUE); an empty one would match nothing`);
        (filters[key] ??= []).push(f.slice(i + 1));
      }
      const q = new URLSearchParams({ filters: JSON.stringify(filters) });
      if (o.since) q.set('since', String(parseTimeArg(o.since, now, '--since')));
      if (o.until) q.set('until', String(parseTimeArg(o.until, now, '--until')));
      const res = await (await ctx().client()).stream('GET', `/events?${q}`);
      for await (const rec of readRecords(res)) {
        const e = rec as unknown as AgentEvent;
        console.log(o.format === 'json' ? JSON.stringify(e) : formatEvent(e));
      }
    });
}
