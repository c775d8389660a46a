import { randomBytes } from 'node:crypto';
import { LogMessage } from '../../engine/logs/message';
import { formatRFC3339Nano } from '../../engine/logs/timefmt';
import { encodeFields, fieldSize, sanitizeKey, writeField } from './fields';

/** The journal fields the driver writes itself (Docker's names); attributes never take them over. */
export const F = {
  message: 'MESSAGE',
  priority: 'PRIORITY',
  identifier: 'SYSLOG_IDENTIFIER',
  timestamp: 'SYSLOG_TIMESTAMP',
  id: 'CONTAINER_ID',
  idFull: 'CONTAINER_ID_FULL',
  name: 'CONTAINER_NAME',
  tag: 'CONTAINER_TAG',
  partialId: 'CONTAINER_PARTIAL_ID',
  partialOrdinal: 'CONTAINER_PARTIAL_ORDINAL',
  partialLast: 'CONTAINER_PARTIAL_LAST',
  partialMessage: 'CONTAINER_PARTIAL_MESSAGE',
  epoch: 'CONTAINER_LOG_EPOCH',
  ordinal: 'CONTAINER_LOG_ORDINAL',
} as const;

/** Fields that are the driver's or the journal's own: a reader does not return them as attributes. */
export const OWN_FIELDS: ReadonlySet<string> = new Set<string>([
  ...Object.values(F), 'MESSAGE_ID', 'CODE_FILE', 'CODE_LINE', 'CODE_FUNC', 'ERRNO', 'SYSLOG_FACILITY', 'SYSLOG_PID', 'IMAGE_NAME',
]);

export interface EntryIdentity {
  id: string;
  name: string;
  tag: string;
  /** Labels and env values picked by the options, by their own (unsanitised) names. */
  attrs: Readonly<Record<string, string>>;
}

const NAMES = Object.fromEntries(Object.entries(F).map(([k, v]) => [k, Buffer.from(v)])) as Record<keyof typeof F, Buffer>;
const INFO = Buffer.from('6');
const ERR = Buffer.from('3');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/**
 * Turns messages into native-protocol datagrams. The workload's fields are encoded once; each
 * entry adds its priority (6 stdout, 3 stderr, as Docker), the line's own time (so `logs` shows
 * when the workload wrote it, not when journald got it), partial metadata and an ordinal that,
 * with the epoch, tells a reader when it has seen everything this driver sent.
 */
export class EntryEncoder {
  readonly epoch: string;
  private next = 1;
  private readonly fixed: Buffer;

  constructor(who: EntryIdentity, epoch = randomBytes(32).toString('hex')) {
    this.epoch = epoch;
    const own: [string, string][] = [
      [F.id, who.id.slice(0, 12)], [F.idFull, who.id], [F.name, who.name],
      [F.tag, who.tag], [F.identifier, who.tag], [F.epoch, epoch],
    ];
    const extra = new Map<string, string>();
    for (const [k, v] of Object.entries(who.attrs)) {
      const name = sanitizeKey(k);
      if (name && !OWN_FIELDS.has(name)) extra.set(name, v);
    }
    this.fixed = encodeFields([...own, ...extra]);
  }

  /** The ordinal the last encoded entry got (0: none yet). */
  get lastOrdinal(): number {
    return this.next - 1;
  }

  encode(m: LogMessage): Buffer {
    const time = Buffer.from(formatRFC3339Nano(m.time));
    const ordinal = Buffer.from(String(this.next++));
    const p = m.partial;
    const pid = p ? Buffer.from(p.id) : undefined;
    const pord = p ? Buffer.from(String(p.ordinal)) : undefined;
    const line = m.line;
    let size = this.fixed.length + fieldSize(NAMES.priority, INFO) + fieldSize(NAMES.timestamp, time) + fieldSize(NAMES.ordinal, ordinal) + fieldSize(NAMES.message, line);
    if (p) {
      size += fieldSize(NAMES.partialId, pid!) + fieldSize(NAMES.partialOrdinal, pord!) + fieldSize(NAMES.partialLast, p.last ? TRUE : FALSE);
      if (!p.last) size += fieldSize(NAMES.partialMessage, TRUE);
    }
    const out = Buffer.allocUnsafe(size);
    let at = this.fixed.copy(out, 0);
    at = writeField(out, at, NAMES.priority, m.stream === 'stderr' ? ERR : INFO);
    at = writeField(out, at, NAMES.timestamp, time);
    if (p) {
      at = writeField(out, at, NAMES.partialId, pid!);
      at = writeField(out, at, NAMES.partialOrdinal, pord!);
      at = writeField(out, at, NAMES.partialLast, p.last ? TRUE : FALSE);
      if (!p.last) at = writeField(out, at, NAMES.partialMessage, TRUE);
    }
    at = writeField(out, at, NAMES.ordinal, ordinal);
    writeField(out, at, NAMES.message, line);
    return out;
  }
}
