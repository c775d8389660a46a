import { LogMessage, PartialMeta, message } from '../../engine/logs/message';

const NS_PER_MS = 1_000_000n;

/** A stored document back to a message; undefined when it lacks what a line needs. */
export function decodeDocument(d: Record<string, unknown>): LogMessage | undefined {
  const stream = d['source'];
  if ((stream !== 'stdout' && stream !== 'stderr') || typeof d['log'] !== 'string') return undefined;
  const time = timeOf(d);
  if (time === undefined) return undefined;
  const raw = d['log_raw'] as { buffer?: Uint8Array } | undefined;
  const line = raw?.buffer ? Buffer.from(raw.buffer) : Buffer.from(d['log'], 'utf8');
  let partial: PartialMeta | undefined;
  if (d['partial_message']) partial = { id: String(d['partial_id'] ?? ''), ordinal: Number(d['partial_ordinal'] ?? 0), last: Boolean(d['partial_last']) };
  const attrs = d['attrs'] && typeof d['attrs'] === 'object' ? stringRecord(d['attrs'] as Record<string, unknown>) : undefined;
  return message(stream, time, line, partial, attrs);
}

/** time_ns (int64, read as bigint or Long) when present, else the BSON Date's milliseconds. */
function timeOf(d: Record<string, unknown>): bigint | undefined {
  const ns = d['time_ns'];
  if (typeof ns === 'bigint') return ns;
  if (ns && typeof ns === 'object' && 'toBigInt' in ns) return (ns as { toBigInt(): bigint }).toBigInt();
  if (typeof ns === 'number') return BigInt(Math.trunc(ns));
  if (d['time'] instanceof Date) return BigInt(d['time'].getTime()) * NS_PER_MS;
  return undefined;
}

function stringRecord(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) out[k] = String(v);
  return out;
}
