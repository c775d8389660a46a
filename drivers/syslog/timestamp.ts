/**
 * The timestamps of Docker's syslog formats, in the agent's local zone as Go's time.Format
 * prints them: `Stamp` ("Jan _2 15:04:05"), `RFC3339` ("2006-01-02T15:04:05Z07:00") and
 * RFC3339 with microseconds ("2006-01-02T15:04:05.000000Z07:00", truncated, never rounded).
 * Lines come in bursts within one second, so the text of the last second is kept.
 */
export type TimestampStyle = 'stamp' | 'rfc3339' | 'rfc3339micro';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** Go's Z07:00: "Z" at UTC, else the signed offset. */
function zoneText(d: Date): string {
  const east = -d.getTimezoneOffset();
  if (east === 0) return 'Z';
  const abs = Math.abs(east);
  return `${east < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

function secondText(style: TimestampStyle, d: Date): string {
  if (style === 'stamp') {
    const day = d.getDate();
    return `${MONTHS[d.getMonth()]} ${day < 10 ? ` ${day}` : day} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  }
  const date = `${String(d.getFullYear()).padStart(4, '0')}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const clock = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return style === 'rfc3339' ? `${date}T${clock}${zoneText(d)}` : `${date}T${clock}`;
}

export class TimestampWriter {
  /** Longest text any style writes ("2006-01-02T15:04:05.000000-07:00"). */
  static readonly MAX_LENGTH = 32;
  private second = Number.NaN;
  private micros = 0;
  /** The whole text (stamp, rfc3339) or the part before the fraction (rfc3339micro). */
  private head = Buffer.alloc(0);
  private zone = Buffer.alloc(0);

  constructor(readonly style: TimestampStyle) {}

  /** Bytes the timestamp of `ns` takes; also makes it the current one for write(). */
  prepare(ns: bigint): number {
    const us = Number(ns / 1000n);
    const second = Math.floor(us / 1e6);
    this.micros = us - second * 1e6;
    if (second !== this.second) {
      const d = new Date(second * 1000);
      this.second = second;
      this.head = Buffer.from(secondText(this.style, d), 'latin1');
      this.zone = Buffer.from(this.style === 'rfc3339micro' ? zoneText(d) : '', 'latin1');
    }
    return this.style === 'rfc3339micro' ? this.head.length + 7 + this.zone.length : this.head.length;
  }

  /** Writes the timestamp given to the last prepare() at out[pos]; returns the position after it. */
  write(out: Buffer, pos: number): number {
    pos += this.head.copy(out, pos);
    if (this.style !== 'rfc3339micro') return pos;
    out[pos++] = 0x2e; // '.'
    let f = this.micros;
    for (let i = 5; i >= 0; i--) {
      out[pos + i] = 0x30 + (f % 10);
      f = Math.floor(f / 10);
    }
    pos += 6;
    return pos + this.zone.copy(out, pos);
  }
}
