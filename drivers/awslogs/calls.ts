import { CwEvent, EVENT_OVERHEAD, MAX_CALL_BYTES, MAX_CALL_EVENTS, MAX_CALL_SPAN_MS } from './limits';

/** A call worth sending now: little room left (Docker publishes a batch when it is full). */
const FULL_SHARE = 0.95;

/**
 * Packs time-sorted events into PutLogEvents calls that each keep every rule: at most 10,000
 * events, 1,048,576 bytes counting 26 per event, 24 hours from first to last. A call is closed
 * only when the next event does not fit, so every call but the last is as full as allowed.
 * It can go on filling an open call (the one the driver held back) without going over it again.
 */
export class CallPacker {
  private readonly calls: CwEvent[][] = [];
  private call: CwEvent[];
  private bytes: number;
  private first: number;

  constructor(open?: { events: CwEvent[]; bytes: number }) {
    this.call = open?.events ?? [];
    this.bytes = open?.bytes ?? 0;
    this.first = this.call[0]?.timestamp ?? 0;
  }

  add(e: CwEvent): void {
    const size = e.bytes + EVENT_OVERHEAD;
    const call = this.call;
    if (call.length && (call.length === MAX_CALL_EVENTS || this.bytes + size > MAX_CALL_BYTES || e.timestamp - this.first > MAX_CALL_SPAN_MS)) {
      this.calls.push(call);
      this.call = [];
      this.bytes = 0;
    }
    if (!this.call.length) this.first = e.timestamp;
    this.call.push(e);
    this.bytes += size;
  }

  /** The calls; the last may be partly filled: `lastBytes` is its size and `lastFull` whether it is worth sending now. */
  finish(): { calls: CwEvent[][]; lastBytes: number; lastFull: boolean } {
    if (this.call.length) this.calls.push(this.call);
    const lastFull = this.call.length >= MAX_CALL_EVENTS || this.bytes >= MAX_CALL_BYTES * FULL_SHARE;
    return { calls: this.calls, lastBytes: this.bytes, lastFull };
  }
}

/** Sorts events by time (stable: equal times keep their order, so the pieces of a line stay in order) and packs them. */
export function packCalls(events: CwEvent[]): CwEvent[][] {
  if (!inOrder(events)) events.sort((a, b) => a.timestamp - b.timestamp);
  const packer = new CallPacker();
  for (const e of events) packer.add(e);
  return packer.finish().calls;
}

/** True when the events are sorted by time and none is older than `after`. */
export function inOrder(events: readonly CwEvent[], after = -Infinity): boolean {
  let last = after;
  for (const e of events) {
    if (e.timestamp < last) return false;
    last = e.timestamp;
  }
  return true;
}

/** Log messages completed by events[from, to). */
export function messagesIn(events: readonly CwEvent[], from = 0, to = events.length): number {
  let n = 0;
  for (let i = from; i < to; i++) n += events[i]!.messages;
  return n;
}

/** Of those, the ones the outlet had counted as sent with an earlier batch. */
export function priorIn(events: readonly CwEvent[], from = 0, to = events.length): number {
  let n = 0;
  for (let i = from; i < to; i++) n += events[i]!.prior;
  return n;
}
