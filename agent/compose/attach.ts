import { once } from 'node:events';
import { Writable } from 'node:stream';
import { ApiClient } from '../api/client';
import { readRecords } from '../api/logwire';
import { decodeMessage } from '../api/logwire';
import { endsLine } from '../../engine/logs/message';

async function put(out: Writable, data: Buffer): Promise<void> {
  if (!out.write(data)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
}

/**
 * `up` without -d: every workload's output since `sinceNs`, each line prefixed `name | ` (names
 * padded to line up), stdout to stdout and stderr to stderr. Resolves when every workload has
 * stopped (or `signal` aborts).
 */
export async function followLogs(c: ApiClient, names: readonly string[], sinceNs: bigint, signal: AbortSignal): Promise<void> {
  const width = Math.max(0, ...names.map((n) => n.length));
  await Promise.all(names.map(async (name) => {
    const prefix = Buffer.from(`${name.padEnd(width)} | `);
    let lineStart = true;
    try {
      const res = await c.stream('GET', `/workloads/${encodeURIComponent(name)}/logs?follow=1&since=${sinceNs}`, undefined, signal);
      for await (const r of readRecords(res)) {
        if (r.w !== undefined) { process.stderr.write(`${prefix}corral: warning: ${r.w}\n`); continue; }
        if (r.exit !== undefined) continue;
        const m = decodeMessage(r);
        // A long line comes in pieces: the prefix goes before its first piece only.
        const parts = lineStart ? [prefix, m.line] : [m.line];
        lineStart = endsLine(m);
        if (lineStart) parts.push(Buffer.from('\n'));
        await put(m.stream === 'stderr' ? process.stderr : process.stdout, Buffer.concat(parts));
      }
    } catch (e) {
      if (!signal.aborted) process.stderr.write(`${prefix}corral: cannot follow its logs: ${(e as Error).message}\n`);
    }
  }));
}
