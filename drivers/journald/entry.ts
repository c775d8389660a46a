import { randomBytes } from 'node:crypto';
import { LogMessage } from '../../engine/logs/message';
import { formatRFC3339Nano } from '../../engine/logs/timefmt';
import { encodeFields, sanitizeKey } from './fields';

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

const MESSAGE = Buffer.from(`${F.message}`);

/** The line's time as Go's RFC3339Nano, the seconds part formatted once per second (lines come in bursts). */
class TimeText {
  private sec = -1n;
  private head = '';

  format(ns: bigint): string {
    const sec = ns / 1_000_000_000n;
    if (ns < 0n) return formatRFC3339Nano(ns);
    if (sec !== this.sec) {
      this.sec = sec;
      this.head = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    }
    const frac = ns - sec * 1_000_000_000n;
    if (frac === 0n) return `${this.head}Z`;
    return `${this.head}.${String(frac).padStart(9, '0').replace(/0+$/, '')}Z`;
  }
}

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
  private readonly time = new TimeText();

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
    // Every field but MESSAGE is ASCII without a newline: written as `KEY=value\n` text in one go.
    let text = `${F.priority}=${m.stream === 'stderr' ? '3' : '6'}\n${F.timestamp}=${this.time.format(m.time)}\n`;
    const p = m.partial;
    if (p) {
      text += `${F.partialId}=${p.id}\n${F.partialOrdinal}=${p.ordinal}\n${F.partialLast}=${p.last}\n`;
      if (!p.last) text += `${F.partialMessage}=true\n`;
    }
    text += `${F.ordinal}=${this.next++}\n`;
    const len = m.end - m.start;
    const binary = m.src.subarray(m.start, m.end).includes(10);
    const out = Buffer.allocUnsafe(this.fixed.length + text.length + MESSAGE.length + (binary ? 9 : 1) + len + 1);
    let at = this.fixed.copy(out, 0);
    at += out.write(text, at, 'latin1');
    at += MESSAGE.copy(out, at);
    if (binary) {
      out[at++] = 10;
      out.writeBigUInt64LE(BigInt(len), at);
      at += 8;
    } else {
      out[at++] = 61;
    }
    at += m.src.copy(out, at, m.start, m.end);
    out[at] = 10;
    return out;
  }
}
