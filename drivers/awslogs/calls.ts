import { CwEvent, EVENT_OVERHEAD, MAX_CALL_BYTES, MAX_CALL_EVENTS, MAX_CALL_SPAN_MS } from './limits';

/**
 * Sorts events by time (stable: equal times keep their order, so the pieces of a line and
 * the lines of one stream stay in order) and packs them into PutLogEvents calls that each
 * keep every rule: at most 10,000 events, 1,048,576 bytes counting 26 per event, 24 hours.
 * Each call is as full as the rules allow.
 */
export function packCalls(events: CwEvent[]): CwEvent[][] {
  if (!sorted(events)) events.sort((a, b) => a.timestamp - b.timestamp);
  const calls: CwEvent[][] = [];
  let call: CwEvent[] = [];
  let bytes = 0;
  let first = 0;
  for (const e of events) {
    const size = e.bytes + EVENT_OVERHEAD;
    if (call.length && (call.length === MAX_CALL_EVENTS || bytes + size > MAX_CALL_BYTES || e.timestamp - first > MAX_CALL_SPAN_MS)) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    if (!call.length) first = e.timestamp;
    call.push(e);
    bytes += size;
  }
  if (call.length) calls.push(call);
  return calls;
}

/** A call worth sending now: no room for many more events (Docker publishes a batch when it is full). */
export function isFull(call: readonly CwEvent[]): boolean {
  if (call.length >= MAX_CALL_EVENTS) return true;
  let bytes = 0;
  for (const e of call) bytes += e.bytes + EVENT_OVERHEAD;
  return bytes >= MAX_CALL_BYTES * FULL_SHARE;
}

const FULL_SHARE = 0.95;

function sorted(events: readonly CwEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (events[i]!.timestamp < events[i - 1]!.timestamp) return false;
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
