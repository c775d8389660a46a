import { LogMessage, PartialMeta, message } from '../../engine/logs/message';
import { parseRFC3339Nano } from '../../engine/logs/timefmt';
import { F, OWN_FIELDS } from './entry';

/**
 * One entry as `journalctl -o json --all` prints it: a field is a string (UTF-8 text), an array
 * of byte values (anything else), or, when the entry has the field more than once, an array of those.
 */
export type JournalJson = Record<string, unknown>;

function isBytes(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((b) => typeof b === 'number');
}

/** A field's value as bytes (its first value when repeated); undefined when absent or not a value. */
export function fieldBytes(e: JournalJson, name: string): Buffer | undefined {
  let v = e[name];
  if (Array.isArray(v) && !isBytes(v)) v = v[0];
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (isBytes(v)) return Buffer.from(v);
  return undefined;
}

export function fieldText(e: JournalJson, name: string): string | undefined {
  return fieldBytes(e, name)?.toString('utf8');
}

/** The line's own time (SYSLOG_TIMESTAMP, as Docker writes it), else when journald received it. */
export function entryTime(e: JournalJson): bigint | undefined {
  const own = fieldText(e, F.timestamp);
  const t = own === undefined ? undefined : parseRFC3339Nano(own);
  if (t !== undefined) return t;
  const rt = fieldText(e, '__REALTIME_TIMESTAMP');
  return rt !== undefined && /^\d+$/.test(rt) ? BigInt(rt) * 1000n : undefined;
}

/** Where the entry sits in its driver's sequence (Docker's epoch and ordinal fields). */
export function entrySequence(e: JournalJson): { epoch: string; ordinal: number } | undefined {
  const epoch = fieldText(e, F.epoch);
  const ordinal = Number(fieldText(e, F.ordinal));
  return epoch !== undefined && Number.isSafeInteger(ordinal) ? { epoch, ordinal } : undefined;
}

/**
 * A journal entry as a log message: PRIORITY 3 is stderr (anything else stdout, as Docker reads
 * it), partial metadata from the CONTAINER_PARTIAL_* fields, and the fields that are neither the
 * driver's nor the journal's own (`_`-prefixed) as attributes. Undefined when it has no MESSAGE or time.
 */
export function decodeEntry(e: JournalJson): LogMessage | undefined {
  const line = fieldBytes(e, F.message);
  const time = entryTime(e);
  if (line === undefined || time === undefined) return undefined;
  const stream = fieldText(e, F.priority) === '3' ? 'stderr' : 'stdout';
  let partial: PartialMeta | undefined;
  const pid = fieldText(e, F.partialId);
  if (pid !== undefined) {
    const ordinal = Number(fieldText(e, F.partialOrdinal));
    partial = { id: pid, ordinal: Number.isSafeInteger(ordinal) ? ordinal : 0, last: fieldText(e, F.partialLast) === 'true' };
  }
  let attrs: Record<string, string> | undefined;
  for (const k of Object.keys(e)) {
    if (k.startsWith('_') || OWN_FIELDS.has(k)) continue;
    const v = fieldText(e, k);
    if (v !== undefined) (attrs ??= {})[k] = v;
  }
  return message(stream, time, line, partial, attrs);
}
