import { Command } from 'commander';
import { parseTimeArg } from '../../engine/logs/timearg';
import { LogReader, ReadOptions } from '../../engine/logs/reader';
import { encodeMessage, readRecords, WireRecord } from '../api/logwire';
import { CliContext } from './context';
import { humanBytes } from '../stats';
import { PrintProgress, printRecords } from './printlogs';
import { ProgressLine } from './progress';
import { ScanCount } from './scancount';

interface LogsFlags {
  follow?: boolean; since?: string; until?: string; tail: string; timestamps?: boolean; details?: boolean; file?: string;
  from?: string; mongodbUri?: string; mongodbDatabase?: string; mongodbCollection?: string; host?: string;
}

function tailValue(text: string): number | undefined {
  if (text === 'all') return undefined;
  if (!/^-?\d+$/.test(text)) throw new Error(`invalid value "${text}" for --tail: expected a number of lines or "all"`);
  const n = Number(text);
  return n < 0 ? undefined : n;
}

/** Reads a Docker json-file log straight from disk (no agent): `--file`; count sees what it scans. */
function fileReader(file: string, count: ScanCount): LogReader {
  // Loaded only for --file, so `logs` of a workload starts without the reader's code.
  const { openJsonFileReader, pathSource } = require('../../drivers/json-file/reader') as typeof import('../../drivers/json-file/reader');
  return openJsonFileReader(count.source(pathSource(file)));
}

/** `--file`'s progress on a terminal: bytes scanned of the files' size, until the read has got through them. */
function scanProgress(file: string): { count: ScanCount; line: ProgressLine | undefined } {
  const count = new ScanCount(() => (count.caughtUp ? line?.end() : line?.update()));
  const line = ProgressLine.onStderr(() => `scanning ${file}: ${humanBytes(count.scanned, false)} of ${humanBytes(count.total, false)}${count.files > 1 ? ` (${count.files} files)` : ''}`);
  return { count, line };
}

/** A read through the agent (not followed): lines and bytes received so far, the agent's scan being out of sight. */
function receiveProgress(ref: string): (PrintProgress & { end(): void }) | undefined {
  let lines = 0;
  let bytes = 0;
  const line = ProgressLine.onStderr(() => `reading logs of ${ref}: ${lines} lines, ${humanBytes(bytes, false)} received`);
  if (!line) return undefined;
  return { clear: () => line.clear(), printed: (n) => { lines++; bytes += n; line.update(); }, end: () => line.end() };
}

/** Reads what the mongodb driver stored, straight from MongoDB (no agent): `--from mongodb`. */
function storeReader(f: LogsFlags, ref: string | undefined): LogReader {
  if (f.from !== 'mongodb') throw new Error(`invalid value "${f.from}" for --from: expected mongodb`);
  const { openMongoReader } = require('../../drivers/mongodb/reader') as typeof import('../../drivers/mongodb/reader');
  return openMongoReader({ uri: f.mongodbUri, database: f.mongodbDatabase, collection: f.mongodbCollection, workload: ref, host: f.host });
}

/** A reader's messages (and warnings) as the records printRecords takes. */
async function* readerRecords(reader: LogReader, o: ReadOptions, signal: AbortSignal): AsyncIterable<WireRecord> {
  const warnings: WireRecord[] = [];
  for await (const m of reader.read(o, signal, (w) => warnings.push({ w: w.text, n: w.count }))) {
    yield* warnings.splice(0);
    yield JSON.parse(encodeMessage(m)) as WireRecord;
  }
  yield* warnings;
}

export function registerLogs(program: Command, ctx: () => CliContext): void {
  program.command('logs').description("print a workload's logs (or any Docker json-file log with --file)")
    .argument('[workload]')
    .option('-f, --follow', 'keep printing new lines until the workload stops')
    .option('--since <time>', 'only lines since this time (10m, RFC3339, Unix seconds)')
    .option('--until <time>', 'only lines before this time')
    .option('-n, --tail <lines>', 'number of lines from the end, or "all"', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .option('--details', 'show the attributes stored with each line')
    .option('--file <path>', "read this Docker json-file log (and its rotated siblings) instead of a workload's")
    .option('--from <store>', 'read from a central store instead of the agent (no agent needed): mongodb')
    .option('--mongodb-uri <uri>', 'with --from mongodb: the server (default mongodb://127.0.0.1:27017)')
    .option('--mongodb-database <name>', 'with --from mongodb: the database (default corral)')
    .option('--mongodb-collection <name>', 'with --from mongodb: the collection (default logs)')
    .option('--host <name>', "with --from mongodb: only this host's lines (the agent's --hostname)")
    .action(async (ref: string | undefined, f: LogsFlags) => {
      const now = BigInt(Date.now()) * 1_000_000n;
      const o: ReadOptions = {
        tail: tailValue(f.tail),
        since: f.since !== undefined ? parseTimeArg(f.since, now, '--since') : undefined,
        until: f.until !== undefined ? parseTimeArg(f.until, now, '--until') : undefined,
        follow: !!f.follow,
      };
      const print = { timestamps: !!f.timestamps, details: !!f.details };
      const storeFlag = f.host !== undefined ? '--host' : f.mongodbUri !== undefined ? '--mongodb-uri' : f.mongodbDatabase !== undefined ? '--mongodb-database' : f.mongodbCollection !== undefined ? '--mongodb-collection' : undefined;
      if (storeFlag && f.from === undefined) throw new Error(`${storeFlag} needs --from mongodb`);
      if (f.file || f.from !== undefined) {
        if (f.file && (ref || f.from !== undefined)) throw new Error('give either a workload or --file, not both (nor --file with --from)');
        const scan = f.file ? scanProgress(f.file) : undefined;
        const reader = f.file ? fileReader(f.file, scan!.count) : storeReader(f, ref);
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        try {
          await printRecords(readerRecords(reader, o, abort.signal), print, scan?.line && { clear: () => scan.line!.clear(), printed: () => {} });
        } finally {
          scan?.line?.end();
        }
        return;
      }
      if (!ref) throw new Error('"corral logs" requires a workload (or --file PATH)');
      const q = new URLSearchParams();
      if (o.tail !== undefined) q.set('tail', String(o.tail));
      if (o.since !== undefined) q.set('since', String(o.since));
      if (o.until !== undefined) q.set('until', String(o.until));
      if (o.follow) q.set('follow', '1');
      // Followed, the read never ends: progress is for a long history only.
      const progress = o.follow ? undefined : receiveProgress(ref);
      try {
        const res = await (await ctx().client()).stream('GET', `/workloads/${encodeURIComponent(ref)}/logs?${q}`);
        await printRecords(readRecords(res), print, progress);
      } finally {
        progress?.end();
      }
    });
}
