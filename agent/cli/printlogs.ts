import { once } from 'node:events';
import { Writable } from 'node:stream';
import { LogMessage, endsLine } from '../../engine/logs/message';
import { formatFixedNano } from '../../engine/logs/timefmt';
import { WireRecord, decodeMessage } from '../api/logwire';

export interface PrintOptions { timestamps: boolean; details: boolean }

/** Go's url.QueryEscape: unreserved bytes stay, space becomes '+', the rest %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** One message as `docker logs` prints it: [time ][k=v,k2=v2 ]bytes[\n]. */
export function formatMessage(m: LogMessage, o: PrintOptions): Buffer {
  let head = '';
  if (o.timestamps) head += formatFixedNano(m.time) + ' ';
  if (o.details) {
    const attrs = m.attrs ?? {};
    head += Object.keys(attrs).sort().map((k) => `${queryEscape(k)}=${queryEscape(attrs[k]!)}`).join(',') + ' ';
  }
  const parts = [m.line];
  if (head) parts.unshift(Buffer.from(head, 'utf8'));
  if (endsLine(m)) parts.push(Buffer.from('\n'));
  return parts.length === 1 ? m.line : Buffer.concat(parts);
}

async function put(out: Writable, data: Buffer | string): Promise<void> {
  if (out.write(data)) return;
  // Whichever comes first; the other's listeners go, or a long output piles them up (MaxListenersExceededWarning).
  const done = new AbortController();
  try {
    await Promise.race([once(out, 'drain', { signal: done.signal }), once(out, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}

/** A progress line on the terminal: erased before a line goes there, told what went out. */
export interface PrintProgress { clear(): void; printed(bytes: number): void }

/**
 * Prints records: stdout lines to stdout, stderr lines to stderr, warnings to stderr.
 * Returns the exit code an attached run ended with, if the stream carried one.
 */
export async function printRecords(records: AsyncIterable<WireRecord>, o: PrintOptions, progress?: PrintProgress): Promise<number | undefined> {
  let exit: number | undefined;
  const to = async (out: NodeJS.WriteStream, data: Buffer | string) => {
    if (out.isTTY) progress?.clear();
    await put(out, data);
    progress?.printed(data.length);
  };
  for await (const r of records) {
    if (r.exit !== undefined) { exit = r.exit; continue; }
    if (r.w !== undefined) { await to(process.stderr, `corral: warning: ${r.w}\n`); continue; }
    const m = decodeMessage(r);
    await to(m.stream === 'stderr' ? process.stderr : process.stdout, formatMessage(m, o));
  }
  return exit;
}
