import type { Binary, Long } from 'mongodb';
import { isUtf8 } from 'node:buffer';
import { LogMessage } from '../../engine/logs/message';
import { mongo } from './load';

/** One line as stored: the fields `corral logs --from mongodb` and queries rely on. */
export interface LogDocument {
  /** `<short id>-<driver start, hex ns>-<line number, hex>`: unique, and ordered as the lines were sent. */
  _id: string;
  /** A BSON Date (ms): what TTL indexes and MongoDB tools understand. */
  time: Date;
  /** The exact time in ns since the epoch (BSON int64; a Long serializes faster than a bigint). */
  time_ns: Long;
  /** The line without its newline; bytes that are not UTF-8 read as U+FFFD here... */
  log: string;
  /** ...and are kept exactly here (only for such lines). */
  log_raw?: Binary;
  source: 'stdout' | 'stderr';
  container_id: string;
  container_name: string;
  tag: string;
  host: string;
  /** Labels and env vars picked by labels/env/labels-regex/env-regex (absent when none). */
  attrs?: Readonly<Record<string, string>>;
  /** Chunks of a line of 16 KiB or more, as Docker's fluentd driver marks them. */
  partial_message?: true;
  partial_id?: string;
  partial_ordinal?: number;
  partial_last?: boolean;
}

/** What every document of one workload shares. */
export interface WorkloadFields {
  containerId: string;
  containerName: string;
  tag: string;
  host: string;
  attrs: Readonly<Record<string, string>>;
}

const NS_PER_MS = 1_000_000n;

/**
 * Turns messages into documents. The _id numbers lines in the order this driver sends them, so
 * a retried batch (built once, sent again) can only hit duplicate keys, never duplicate lines, and
 * a reader that polls for `_id > last` sees every line of the workload once, in order.
 */
export class DocumentBuilder {
  private seq = 0;
  private readonly idPrefix: string;
  private readonly attrs: Readonly<Record<string, string>> | undefined;
  // Lines of one pipe read share their time: one Date and one Long for all of them.
  private lastNs = -1n;
  private lastDate = new Date(0);
  private lastLong: Long | undefined;

  constructor(private readonly w: WorkloadFields, startedNs: bigint) {
    this.idPrefix = `${w.containerId.slice(0, 12)}-${startedNs.toString(16).padStart(16, '0')}-`;
    this.attrs = Object.keys(w.attrs).length ? w.attrs : undefined;
  }

  build(batch: readonly LogMessage[]): LogDocument[] {
    const out = new Array<LogDocument>(batch.length);
    for (let i = 0; i < batch.length; i++) out[i] = this.document(batch[i]!);
    return out;
  }

  private document(m: LogMessage): LogDocument {
    if (m.time !== this.lastNs || !this.lastLong) {
      this.lastNs = m.time;
      this.lastDate = new Date(Number(m.time / NS_PER_MS));
      this.lastLong = mongo().Long.fromBigInt(m.time);
    }
    const log = m.src.toString('utf8', m.start, m.end);
    const doc: LogDocument = {
      _id: this.idPrefix + (this.seq++).toString(16).padStart(10, '0'),
      time: this.lastDate,
      time_ns: this.lastLong,
      log,
      source: m.stream,
      container_id: this.w.containerId,
      container_name: this.w.containerName,
      tag: this.w.tag,
      host: this.w.host,
    };
    // U+FFFD in the text means either the input had one or bytes were not UTF-8: only then check.
    if (log.includes('\ufffd') && !isUtf8(m.line)) doc.log_raw = new (mongo().Binary)(m.line);
    if (this.attrs) doc.attrs = this.attrs;
    const p = m.partial;
    if (p) {
      doc.partial_message = true;
      doc.partial_id = p.id;
      doc.partial_ordinal = p.ordinal;
      doc.partial_last = p.last;
    }
    return doc;
  }
}
