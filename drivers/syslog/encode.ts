import { LogMessage, Stream } from '../../engine/logs/message';
import { SyslogFormat } from './options';
import { TimestampStyle, TimestampWriter } from './timestamp';

export interface EncoderSpec {
  format: SyslogFormat;
  facility: number;
  /** The expanded tag: TAG in the 3164 forms, APP-NAME and MSGID in the 5424 forms. */
  tag: string;
  hostname: string;
  /** RFC 5425 framing ("<len> <msg>"): Docker uses it for tcp+tls with the 5424 formats. */
  octetCounting: boolean;
}

/** Messages encoded back to back; message i is buf[ends[i-1] (or 0), ends[i]). */
export interface EncodedBatch {
  buf: Buffer;
  ends: number[];
}

/** Docker's severities: stdout at info, stderr at err. */
const SEVERITY: Record<Stream, number> = { stdout: 6, stderr: 3 };
const TIMESTAMP: Record<SyslogFormat, TimestampStyle> = { '': 'stamp', rfc3164: 'stamp', rfc5424: 'rfc3339', rfc5424micro: 'rfc3339micro' };
const NEWLINE = 0x0a;
const SPACE = 0x20;

/**
 * Docker's syslog wire formats (srslog's formatters as Docker configures them), with two
 * differences: the timestamp is the line's own time and the pid is the workload's.
 *   ""            <PRI>Stamp TAG[PID]: line\n
 *   rfc3164       <PRI>Stamp HOST TAG[PID]: line\n
 *   rfc5424       <PRI>1 RFC3339 HOST TAG PID TAG - line\n
 *   rfc5424micro  the same with microseconds
 * Each header is "<PRI>" (per stream) + timestamp (cached per second) + the rest (per pid).
 */
export class SyslogEncoder {
  private readonly head: Record<Stream, Buffer>;
  private readonly time: TimestampWriter;
  private restPid = -1;
  private rest = Buffer.alloc(0);

  constructor(readonly spec: EncoderSpec) {
    const version = spec.format.startsWith('rfc5424') ? '1 ' : '';
    const head = (s: Stream) => Buffer.from(`<${spec.facility * 8 + SEVERITY[s]}>${version}`, 'latin1');
    this.head = { stdout: head('stdout'), stderr: head('stderr') };
    this.time = new TimestampWriter(TIMESTAMP[spec.format]);
  }

  /** Encodes the batch; empty lines are skipped, as Docker does. */
  encode(batch: readonly LogMessage[], pid: number): EncodedBatch {
    const rest = this.restFor(pid);
    const perMessage = 8 + TimestampWriter.MAX_LENGTH + rest.length + 1 + (this.spec.octetCounting ? 11 : 0);
    let bound = 0;
    for (const m of batch) bound += m.end - m.start + perMessage;
    const out = Buffer.allocUnsafe(bound);
    const ends: number[] = [];
    let pos = 0;
    for (const m of batch) {
      const size = m.end - m.start;
      if (size === 0) continue;
      const head = this.head[m.stream];
      const timeLength = this.time.prepare(m.time);
      if (this.spec.octetCounting) {
        pos += out.write(String(head.length + timeLength + rest.length + size + 1), pos, 'latin1');
        out[pos++] = SPACE;
      }
      pos += head.copy(out, pos);
      pos = this.time.write(out, pos);
      pos += rest.copy(out, pos);
      pos += m.src.copy(out, pos, m.start, m.end);
      out[pos++] = NEWLINE; // srslog ends every message with a newline
      ends.push(pos);
    }
    return { buf: out.subarray(0, pos), ends };
  }

  /** What follows the timestamp; it holds the pid, which changes when the workload restarts. */
  private restFor(pid: number): Buffer {
    if (pid === this.restPid) return this.rest;
    const { format, hostname, tag } = this.spec;
    const text = format === '' ? ` ${tag}[${pid}]: `
      : format === 'rfc3164' ? ` ${hostname} ${tag}[${pid}]: `
      : ` ${hostname} ${tag} ${pid} ${tag} - `;
    this.restPid = pid;
    this.rest = Buffer.from(text, 'utf8');
    return this.rest;
  }
}
