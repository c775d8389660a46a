import { LogMessage, lineLength } from './message';

/**
 * An outlet's in-memory queue: the arrays offered, in order, with their line bytes, consumed from
 * the front. It knows nothing of limits or delivery: the outlet decides what goes in and when.
 * Arrays pushed must not be empty.
 */
export class MemoryQueue {
  private readonly queue: (readonly LogMessage[])[] = [];
  /** Line bytes of each queued array still unsent (kept so a whole array is never summed twice). */
  private readonly queueBytes: number[] = [];
  private head = 0; // index into queue[0] of the first unsent message
  private queued = 0;
  private lastTaken = 0;

  /** Line bytes of what is queued (a batch take() returned is no longer counted). */
  get bytes(): number { return this.queued; }
  /** Line bytes of the last batch take() returned. */
  get takenBytes(): number { return this.lastTaken; }
  /** No message queued (the bytes can be 0 with empty lines queued). */
  get empty(): boolean { return !this.queue.length; }

  /** Queues a non-empty array whose line bytes are `size`. */
  push(msgs: readonly LogMessage[], size: number): void {
    this.queue.push(msgs);
    this.queueBytes.push(size);
    this.queued += size;
  }

  /**
   * Takes up to maxEvents messages / maxBytes line bytes (a first message larger than maxBytes goes
   * alone). A lone queued array that fits is passed on without copying; several are merged, so a
   * driver gets full batches when lines pile up. Its bytes are then in takenBytes.
   */
  take(maxEvents: number, maxBytes: number): readonly LogMessage[] {
    const first = this.queue[0];
    if (!first) return [];
    const next = this.queue[1];
    const nextFits = next !== undefined && first.length + next.length <= maxEvents && this.queueBytes[0]! + this.queueBytes[1]! <= maxBytes;
    if (this.head === 0 && first.length <= maxEvents && this.queueBytes[0]! <= maxBytes && !nextFits) {
      this.queue.shift();
      this.lastTaken = this.queueBytes.shift()!;
      this.queued -= this.lastTaken;
      return first;
    }
    const out: LogMessage[] = [];
    let size = 0;
    while (this.queue.length && out.length < maxEvents) {
      const seg = this.queue[0]!;
      const m = seg[this.head]!;
      if (out.length && size + lineLength(m) > maxBytes) break;
      out.push(m);
      size += lineLength(m);
      this.queueBytes[0]! -= lineLength(m);
      if (++this.head === seg.length) { this.queue.shift(); this.queueBytes.shift(); this.head = 0; }
    }
    this.lastTaken = size;
    this.queued -= size;
    return out;
  }

  /** Messages queued, counted up to `limit` at least (stops once it is reached). */
  count(limit = Infinity): number {
    let n = 0 - this.head; // not -this.head: an empty queue counts 0, not -0
    for (const seg of this.queue) { n += seg.length; if (n >= limit) break; }
    return n;
  }

  /** Drops messages from the front until at least `need` line bytes are freed (or none is left); returns how many. */
  dropOldest(need: number): number {
    let freed = 0;
    let dropped = 0;
    while (freed < need && this.queue.length) {
      const seg = this.queue[0]!;
      const len = lineLength(seg[this.head]!);
      freed += len;
      this.queueBytes[0]! -= len;
      dropped++;
      if (++this.head === seg.length) { this.queue.shift(); this.queueBytes.shift(); this.head = 0; }
    }
    this.queued -= freed;
    return dropped;
  }

  /** What is queued, oldest first, as arrays (the first one cut at the head); the queue is unchanged. */
  arrays(): (readonly LogMessage[])[] {
    const out: (readonly LogMessage[])[] = [];
    for (let i = 0; i < this.queue.length; i++) out.push(i === 0 && this.head ? this.queue[0]!.slice(this.head) : this.queue[i]!);
    return out;
  }

  /** Empties the queue. */
  clear(): void {
    this.queue.length = 0;
    this.queueBytes.length = 0;
    this.head = 0;
    this.queued = 0;
  }

  /** Empties the queue; returns how many messages it held. */
  dropAll(): number {
    const n = this.count(Infinity);
    this.clear();
    return n;
  }
}
