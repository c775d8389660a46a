import { StringDecoder } from 'node:string_decoder';
import { LogMessage, Stream } from '../../engine/logs/message';
import { CwEvent, MAX_EVENT_BYTES } from './limits';

/** An event still growing: the chunks of a long line, or a multiline event waiting for its next start. */
interface OpenEvent {
  readonly timestamp: number;
  /** Wall-clock ms it was opened: it is closed by the flush timer once it is old enough. */
  readonly openedAt: number;
  text: string;
  bytes: number;
  messages: number;
  /** Messages of earlier batches (already acknowledged to the outlet). */
  prior: number;
  /** The partial id of the line being joined (line mode). */
  partialId: string | undefined;
}

const NEWLINE = '\n';

/**
 * Turns log messages into CloudWatch events, per stream so stdout and stderr never mix:
 * - line mode: one event per line; the 16 KiB chunks of a long line are joined again (Docker
 *   reads up to 262,118 bytes per line for awslogs), and anything longer is cut on a UTF-8 boundary;
 * - multiline mode: a line matching the pattern starts an event and the lines up to the next
 *   match join it, each followed by "\n", as Docker does.
 * Empty lines make no event (CloudWatch refuses an empty message; Docker skips them too): counted.
 */
export class EventAssembler {
  private readonly open = new Map<Stream, OpenEvent>();
  /** Decoders of lines whose chunks are still coming, so a character cut between chunks survives. */
  private readonly decoders = new Map<Stream, StringDecoder>();
  /** Empty lines seen: they cannot be stored. */
  empties = 0;

  constructor(private readonly multiline: RegExp | undefined, private readonly now: () => number = Date.now) {}

  /** Adds a batch: finished events go to out; what may still grow stays open. */
  add(batch: readonly LogMessage[], out: CwEvent[]): void {
    for (const e of this.open.values()) e.prior = e.messages;
    for (const m of batch) {
      if (this.multiline) this.addJoined(m, this.multiline, out);
      else this.addLine(m, out);
    }
  }

  /** Closes the open events opened at least maxAgeMs ago (all of them with 0). */
  closeDue(maxAgeMs: number, out: CwEvent[]): void {
    const now = this.now();
    for (const [stream, e] of this.open) {
      if (now - e.openedAt < maxAgeMs) continue;
      e.prior = e.messages;
      this.finish(stream, e, out);
    }
  }

  /** When the oldest open event becomes due, or undefined when none is open. */
  nextDue(maxAgeMs: number): number | undefined {
    let due: number | undefined;
    for (const e of this.open.values()) due = Math.min(due ?? Infinity, e.openedAt + maxAgeMs);
    return due;
  }

  /**
   * The last batch was dropped by the outlet: drops the open events holding its messages too
   * (the outlet counts them) and returns how many earlier messages went down with them.
   */
  discardLastBatch(): number {
    let lost = 0;
    for (const [stream, e] of this.open) {
      if (e.messages === e.prior) continue;
      lost += e.prior;
      this.open.delete(stream);
      this.decoders.delete(stream);
    }
    return lost;
  }

  private addLine(m: LogMessage, out: CwEvent[]): void {
    const open = this.open.get(m.stream);
    if (m.partial === undefined) {
      if (open) this.finish(m.stream, open, out); // a line that never ended (the stream restarted)
      const text = m.src.toString('utf8', m.start, m.end);
      if (!text) { this.empties++; return; }
      pushSplit(out, timeOf(m), text, Buffer.byteLength(text), 1, 0);
      return;
    }
    let e = open;
    if (e && e.partialId !== m.partial.id) { this.finish(m.stream, e, out); e = undefined; }
    e ??= this.start(m, m.partial.id);
    this.append(e, this.decode(m));
    e.messages++;
    if (m.partial.last) { this.finish(m.stream, e, out); return; }
    if (e.bytes > MAX_EVENT_BYTES) this.cutFront(e, out);
  }

  private addJoined(m: LogMessage, pattern: RegExp, out: CwEvent[]): void {
    const startsLine = m.partial === undefined || m.partial.ordinal === 1;
    const endsLine = m.partial === undefined || m.partial.last;
    const text = this.decode(m);
    const bytes = Buffer.byteLength(text);
    let e = this.open.get(m.stream);
    let timestamp = timeOf(m);
    const starts = startsLine && pattern.test(text);
    if (e && (starts || e.bytes + bytes > MAX_EVENT_BYTES)) {
      // A new event starts here; one cut only for its size keeps the time of the line that began it.
      if (!starts) timestamp = e.timestamp;
      this.finish(m.stream, e, out);
      e = undefined;
    }
    e ??= this.start(m, undefined, timestamp);
    this.append(e, text, bytes);
    e.messages++;
    if (endsLine && e.bytes < MAX_EVENT_BYTES) this.append(e, NEWLINE, 1);
    if (e.bytes > MAX_EVENT_BYTES) this.cutFront(e, out);
  }

  private start(m: LogMessage, partialId: string | undefined, timestamp = timeOf(m)): OpenEvent {
    const e: OpenEvent = { timestamp, openedAt: this.now(), text: '', bytes: 0, messages: 0, prior: 0, partialId };
    this.open.set(m.stream, e);
    return e;
  }

  private append(e: OpenEvent, text: string, bytes = Buffer.byteLength(text)): void {
    e.text += text;
    e.bytes += bytes;
  }

  /** The text of a message; chunks of one line share a decoder so a character cut in two decodes whole. */
  private decode(m: LogMessage): string {
    if (m.partial === undefined) return m.src.toString('utf8', m.start, m.end);
    let d = this.decoders.get(m.stream);
    if (!d || m.partial.ordinal === 1) this.decoders.set(m.stream, d = new StringDecoder('utf8'));
    let text = d.write(m.src.subarray(m.start, m.end));
    if (m.partial.last) { text += d.end(); this.decoders.delete(m.stream); }
    return text;
  }

  /** An event grew past the limit: full-size pieces leave now, the rest keeps growing. */
  private cutFront(e: OpenEvent, out: CwEvent[]): void {
    const buf = Buffer.from(e.text, 'utf8');
    let pos = 0;
    while (buf.length - pos > MAX_EVENT_BYTES) {
      const end = utf8Boundary(buf, pos + MAX_EVENT_BYTES);
      out.push({ timestamp: e.timestamp, message: buf.toString('utf8', pos, end), bytes: end - pos, messages: 0, prior: 0, heldAt: 0 });
      pos = end;
    }
    e.text = buf.toString('utf8', pos);
    e.bytes = buf.length - pos;
  }

  private finish(stream: Stream, e: OpenEvent, out: CwEvent[]): void {
    this.open.delete(stream);
    if (e.bytes === 0) { this.empties += e.messages; return; }
    pushSplit(out, e.timestamp, e.text, e.bytes, e.messages, e.prior);
  }
}

/** Pushes text as one event, or as pieces of at most MAX_EVENT_BYTES cut on character boundaries. */
export function pushSplit(out: CwEvent[], timestamp: number, text: string, bytes: number, messages: number, prior: number): void {
  if (bytes <= MAX_EVENT_BYTES) { out.push({ timestamp, message: text, bytes, messages, prior, heldAt: 0 }); return; }
  const buf = Buffer.from(text, 'utf8');
  let pos = 0;
  while (buf.length - pos > MAX_EVENT_BYTES) {
    const end = utf8Boundary(buf, pos + MAX_EVENT_BYTES);
    out.push({ timestamp, message: buf.toString('utf8', pos, end), bytes: end - pos, messages: 0, prior: 0, heldAt: 0 });
    pos = end;
  }
  out.push({ timestamp, message: buf.toString('utf8', pos), bytes: buf.length - pos, messages, prior, heldAt: 0 });
}

/** The largest offset <= at that does not fall inside a character (buf is valid UTF-8). */
function utf8Boundary(buf: Buffer, at: number): number {
  let i = at;
  while (i > 0 && (buf[i]! & 0xc0) === 0x80) i--;
  return i;
}

function timeOf(m: LogMessage): number {
  return Number(m.time / 1_000_000n);
}
