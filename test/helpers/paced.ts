import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestAgent } from './cli';

/**
 * A workload that writes numbered lines at a steady pace: `perTick` lines every 100 ms, `ticks`
 * times. Lines are `n000042 xxx…` (100 bytes with the newline) so a buffer fills at a known rate.
 */
export interface Paced { ticks: number; perTick: number }

export const PAD = 'x'.repeat(92);

export function pacedCommand(p: Paced): string[] {
  // seq prints a tick's lines in one go; sleep paces the ticks (drift is fine: nothing is timed).
  const script = `i=0; while [ $i -lt ${p.ticks} ]; do seq -f "n%06.0f ${PAD}" $((i*${p.perTick})) $((i*${p.perTick}+${p.perTick - 1})); i=$((i+1)); sleep 0.1; done`;
  return ['sh', '-c', script];
}

export const written = (p: Paced): number => p.ticks * p.perTick;

/** The line number of a received message, or undefined if it is not one of ours. */
export function lineNumber(msg: unknown): number | undefined {
  const m = /^n(\d{6}) x+$/.exec(String(msg).trim());
  return m ? Number(m[1]) : undefined;
}

/** What a peer holds of `total` numbered lines: distinct ones, duplicates, missing ranges. */
export interface Tally { total: number; received: number; distinct: number; duplicates: number; missing: number; missingRanges: [number, number][] }

export function tally(messages: unknown[], total: number): Tally {
  const seen = new Uint32Array(total);
  let received = 0;
  for (const m of messages) {
    const n = lineNumber(m);
    if (n === undefined || n >= total) continue;
    seen[n]!++;
    received++;
  }
  let distinct = 0;
  const missingRanges: [number, number][] = [];
  for (let i = 0; i < total; i++) {
    if (seen[i]) { distinct++; continue; }
    const last = missingRanges[missingRanges.length - 1];
    if (last && last[1] === i - 1) last[1] = i; else missingRanges.push([i, i]);
  }
  return { total, received, distinct, duplicates: received - distinct, missing: total - distinct, missingRanges };
}

export interface LogStats { Sent: number; SentBy: Record<string, number>; Dropped: Record<string, Record<string, number>> }

export async function inspectOf(agent: TestAgent, name: string): Promise<{ running: boolean; stats: LogStats }> {
  const r = await agent.run(['inspect', name], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`inspect ${name}: ${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as { State: { Running: boolean }; LogStats: LogStats }[];
  return { running: info!.State.Running, stats: info!.LogStats };
}

export const droppedBy = (s: LogStats, driver: string): number => Object.values(s.Dropped[driver] ?? {}).reduce((a, b) => a + b, 0);

/** The agent's resident memory in KiB, from /proc/<pid>/status. */
export function agentRssKiB(agent: TestAgent): number {
  const pid = Number(fs.readFileSync(path.join(agent.root, 'agent.pid'), 'utf8'));
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for the agent (pid ${pid})`);
  return Number(m[1]);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
