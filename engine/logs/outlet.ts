import { fullJitter, sleep } from './backoff';
import { BatchPolicy, LogDriver } from './driver';
import { MemoryQueue } from './memqueue';
import { LogMessage, lineLength } from './message';
import { DeliveryMode } from './mode';
import { Spool } from './spool';

export type DropReason = 'buffer-full' | 'send-failed' | 'closed';

export interface OutletStats {
  sent: number;
  queuedBytes: number;
  /** Sends the driver answered with retry or fail (or threw). */
  errors: number;
  /** Sends repeated after a retry answer. */
  retries: number;
  dropped: Record<DropReason, number> & { 'spool-full'?: number };
}

export interface OutletOptions {
  delivery: DeliveryMode;
  batch: BatchPolicy;
  retry?: { baseMs: number; capMs: number };
  /** The outlet's name in stats (default: the driver's). */
  name?: string;
  /** A remote server: the end of a run does not wait for this outlet to drain (it drains in the background). */
  remote?: boolean;
  /**
   * A local daemon (journald): the end of a run waits for this outlet while the daemon takes its
   * lines, and leaves it draining in the background, as a remote one, once its sends fail.
   */
  daemon?: boolean;
  /** Called on every failed send (first: none failed since the last one that went through); the caller rate-limits what it prints. */
  onError?: (e: Error, first: boolean) => void;
  /**
   * A disk spool (remote drivers, `spool-dir`): lines the memory buffer cannot hold, and everything
   * while the server fails, go to disk and are sent from there in order; a restart sends them too.
   * The outlet unref()s it when closed.
   */
  spool?: Spool;
}

/**
 * One driver's queue for one workload: bounded by bytes, batched, retried with
 * full-jitter back-off. Blocking mode never drops: offer() returns false above the
 * high-water mark and the caller stops reading the pipe until whenDrained().
 * Non-blocking mode drops the newest lines when full (or the oldest queued ones with
 * drop-policy=oldest), and counts every one.
 * With a spool, the memory queue is the fast path only: once it is full or a send fails, what it
 * holds and every new line go to the spool, until the spool is empty again (so lines keep their
 * order: memory is always older than the spool). A full spool falls back to the mode: blocking
 * holds the lines and stops the pipe, non-blocking drops them (reason spool-full).
 */
export class Outlet {
  /** The memory buffer (without the batch being sent). */
  private readonly mem = new MemoryQueue();
  private sending = false;
  private closing = false;
  private readonly abort = new AbortController();
  /** Aborted by abortNow() only: what the driver's own close may still be delivering stops too. */
  private readonly giveUp = new AbortController();
  private readonly waiters: (() => void)[] = [];
  private idle: (() => void) | undefined;
  /** The last send failed: errors until the next success are one episode. */
  private failing = false;
  /** whenFailing() callers, told when a send fails. */
  private readonly failWaiters: (() => void)[] = [];
  /** Lines waiting for room in a full spool (blocking mode; bounded by the paused pipe). */
  private readonly pending: (readonly LogMessage[])[] = [];
  /** Line bytes of the memory batch being sent (still counted in `bytes`). */
  private inflight = 0;
  /** Line bytes held in memory: the queue and the batch being sent from it. */
  private get bytes(): number { return this.mem.bytes + this.inflight; }
  private readonly spool: Spool | undefined;
  private unsubscribe: (() => void) | undefined;
  readonly stats: OutletStats = { sent: 0, queuedBytes: 0, errors: 0, retries: 0, dropped: { 'buffer-full': 0, 'send-failed': 0, closed: 0 } };

  constructor(readonly driver: LogDriver, private readonly opts: OutletOptions) {
    this.spool = opts.spool;
    if (this.spool) {
      // Another outlet (the previous run's) stopped reading: what is on disk is ours to send now.
      this.unsubscribe = this.spool.onRelease(() => this.kick());
      if (!this.spool.empty) this.kick(); // left by an earlier run or agent: it goes first
    }
  }

  get name(): string { return this.opts.name ?? this.driver.name; }
  get remote(): boolean { return !!this.opts.remote; }
  get daemon(): boolean { return !!this.opts.daemon; }

  /** Resolves once a send fails (at once if the last one did): the server is not taking lines now. */
  whenFailing(): Promise<void> {
    if (this.failing) return Promise.resolve();
    return new Promise((resolve) => this.failWaiters.push(resolve));
  }
  /** With a spool: bytes of its files now (shared by the outlets of consecutive runs). */
  get spooledBytes(): number | undefined { return this.spool?.bytes; }

  /** Queues messages; false means "stop reading until whenDrained()" (blocking mode only). */
  offer(msgs: readonly LogMessage[]): boolean {
    if (!msgs.length) return true;
    if (this.closing) { this.stats.dropped.closed += msgs.length; return true; }
    if (this.spool) return this.offerSpooled(msgs, this.spool);
    const max = this.opts.delivery.maxBufferBytes;
    let accepted = msgs;
    let size = byteSize(msgs, 0, msgs.length);
    if (this.opts.delivery.mode === 'non-blocking' && this.bytes + size > max) {
      if (this.opts.delivery.dropPolicy === 'oldest') this.dropOldest(this.bytes + size - max);
      // Keep what fits (an oversized message into an empty queue still goes, as Docker).
      let n = 0;
      let fit = 0;
      while (n < msgs.length && (this.bytes + fit + lineLength(msgs[n]!) <= max || (this.bytes + fit === 0))) fit += lineLength(msgs[n++]!);
      this.stats.dropped['buffer-full'] += msgs.length - n;
      accepted = msgs.slice(0, n);
      size = fit;
    }
    if (accepted.length) {
      this.mem.push(accepted, size);
      this.stats.queuedBytes = this.bytes;
      if (!this.sending) void this.pump();
    }
    return this.bytes < max;
  }

  /** With a spool, memory may take `size` more bytes only when nothing older is on disk and the server answers. */
  private memoryTakes(s: Spool, size: number): boolean {
    return s.empty && !s.readByOther(this) && !this.failing && this.bytes + size <= this.opts.delivery.maxBufferBytes;
  }

  private offerSpooled(msgs: readonly LogMessage[], s: Spool): boolean {
    const size = byteSize(msgs, 0, msgs.length);
    if (!this.pending.length && this.memoryTakes(s, size)) {
      this.mem.push(msgs, size);
      this.stats.queuedBytes = this.bytes;
      this.kick();
      return true;
    }
    // Disk from here on; what memory holds goes first while it can (so it survives a crash too).
    this.spill();
    // As much as fits goes in (a pipe chunk can be larger than the room left); the rest waits or drops.
    const rest = this.pending.length ? msgs : msgs.slice(s.appendSome(msgs));
    if (!rest.length) {
      this.kick();
      return true;
    }
    if (this.opts.delivery.mode === 'blocking') {
      this.pending.push(rest);
      this.kick();
      return false;
    }
    if (rest.length < msgs.length) this.kick();
    this.stats.dropped['spool-full'] = (this.stats.dropped['spool-full'] ?? 0) + rest.length;
    return true;
  }

  /**
   * Copies the memory queue (and a failed batch taken from it, which is older still) to the spool,
   * all or nothing, when that keeps the order: the spool is empty and nobody else appends to it
   * ahead of us. The queue is emptied; the failed batch stays in memory too and is retried as the
   * same array (drivers remember how far a batch got), its copy on disk skipped once it is sent,
   * or sent by the next agent if this one dies first. True when it all went to disk.
   */
  private spill(failed?: readonly LogMessage[]): boolean {
    const s = this.spool;
    if (!s || (!failed && this.mem.empty) || !s.empty || s.readByOther(this)) return false;
    const arrays = failed ? [failed, ...this.mem.arrays()] : this.mem.arrays();
    if (!s.appendAll(arrays)) return false;
    this.mem.clear(); // what is left in memory is the batch in flight
    if (failed) s.claim(this); // nobody else reads it: its first lines are the batch in flight
    this.stats.queuedBytes = this.bytes;
    this.releaseWaiters();
    return true;
  }

  private kick(): void {
    if (!this.sending) void this.pump();
  }

  /** Resolves once the queue is below its mark again. */
  whenDrained(): Promise<void> {
    if (this.bytes < this.opts.delivery.maxBufferBytes && !this.pending.length) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private closed: Promise<void> | undefined;

  /**
   * Sends what is queued (up to graceMs), then closes the driver; the rest is counted as dropped.
   * Later calls return the same promise.
   */
  close(graceMs = 10_000): Promise<void> {
    return (this.closed ??= this.shutdown(graceMs));
  }

  /** Gives up on what is still queued (counted as dropped, reason closed): a close in progress ends now. */
  abortNow(): void {
    this.abort.abort();
    this.giveUp.abort();
    if (this.spool && this.idle) this.kick(); // a spool outlet waiting on another reader ends now
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.spool) return this.shutdownSpooled(this.spool);
    if (this.sending || this.bytes > 0) {
      const flushed = new Promise<void>((resolve) => { this.idle = resolve; });
      const timer = setTimeout(() => this.abort.abort(), graceMs);
      if (!this.sending) void this.pump();
      await flushed;
      clearTimeout(timer);
    }
    this.abort.abort();
    await this.driver.close(this.giveUp.signal);
  }

  /**
   * With a spool, closing sends what memory and spool hold for as long as it takes: the spool is
   * there for long outages, and what is left when the agent gives up (abortNow) stays on disk for
   * the next one. The grace applies to nothing: memory was moved to disk first when it could be.
   */
  private async shutdownSpooled(s: Spool): Promise<void> {
    this.spill();
    s.sync();
    if (this.sending || this.bytes > 0 || this.pending.length || (!s.empty && !s.readByOther(this))) {
      const flushed = new Promise<void>((resolve) => { this.idle = resolve; });
      this.kick();
      await flushed;
    }
    this.abort.abort();
    this.unsubscribe?.();
    s.release(this);
    s.unref();
    await this.driver.close(this.giveUp.signal);
  }

  private async pump(): Promise<void> {
    this.sending = true;
    try {
      for (;;) {
        if (this.abort.signal.aborted) { this.dropAll(); break; }
        if (this.bytes > 0 || !this.mem.empty) {
          const { flushMs, maxEvents, maxBytes } = this.opts.batch;
          if (flushMs > 0 && !this.closing && this.bytes < maxBytes && this.mem.count(maxEvents) < maxEvents) {
            await sleep(flushMs, this.abort.signal);
          }
          const batch = this.mem.take(maxEvents, maxBytes);
          if (!batch.length) break;
          this.inflight = this.mem.takenBytes; // still counted in `bytes` until sent
          await this.deliver(batch, true);
          this.inflight = 0;
          this.stats.queuedBytes = this.bytes;
          this.releaseWaiters();
          continue;
        }
        if (!this.spool) break;
        if (await this.sendSpooled(this.spool)) continue;
        // Lines held for a spool that took nothing (disk full, or the server was down with an empty
        // spool): try again now and then, unless another outlet reads it (its release wakes us).
        if (!this.pending.length || this.spool.readByOther(this) || this.abort.signal.aborted) break;
        if (!this.flushPending(this.spool)) await sleep(PENDING_RETRY_MS, this.abort.signal);
      }
    } finally {
      this.sending = false;
      this.releaseWaiters();
      if (this.idle && this.bytes === 0 && this.settled()) { this.idle(); this.idle = undefined; }
    }
  }

  /** Nothing this outlet can still send: no lines waiting for the spool, and the spool empty or read by another outlet. */
  private settled(): boolean {
    const s = this.spool;
    if (!s || this.abort.signal.aborted) return true;
    return !this.pending.length && (s.empty || s.readByOther(this));
  }

  /** Sends the next batch from the spool; false when there is none this outlet may send now. */
  private async sendSpooled(s: Spool): Promise<boolean> {
    if (s.empty || !s.claim(this)) return false;
    // A batch read back holds no more than the memory buffer (64 KiB at least, so a tiny buffer
    // does not mean one ack round trip per line): the spool adds no memory of its own.
    const { maxEvents, maxBytes } = this.opts.batch;
    const batch = s.next(maxEvents, Math.min(maxBytes, Math.max(this.opts.delivery.maxBufferBytes, SPOOL_BATCH_FLOOR)));
    if (batch.length && await this.deliver(batch, false) === 'aborted') return false; // stays on disk
    s.commit();
    this.flushPending(s);
    return true;
  }

  /** The copy on disk of a memory batch that was delivered after all: it is the spool's first n lines. */
  private skipSpooled(n: number): void {
    const s = this.spool!;
    s.next(n, Infinity);
    s.commit();
    this.flushPending(s);
  }

  /** Room came back in the spool: lines held for it go in, in order. */
  private flushPending(s: Spool): boolean {
    let moved = false;
    while (this.pending.length) {
      const next = this.pending[0]!;
      const size = byteSize(next, 0, next.length);
      // Nothing older anywhere and the server answers: memory will do (a spool that cannot be written, disk full).
      if (this.mem.empty && this.memoryTakes(s, size)) {
        this.mem.push(next, size);
        this.stats.queuedBytes = this.bytes;
      } else {
        const n = s.appendSome(next);
        if (n) moved = true;
        if (n < next.length) {
          this.pending[0] = next.slice(n);
          break;
        }
      }
      this.pending.shift();
      moved = true;
    }
    this.releaseWaiters();
    return moved;
  }

  /**
   * Sends one batch with retries. `ok`; `failed` (counted, never retried); `aborted` (a memory batch
   * is counted as dropped unless a spill put it on disk; a spooled one stays on disk).
   */
  private async deliver(batch: readonly LogMessage[], fromMemory: boolean): Promise<'ok' | 'failed' | 'aborted'> {
    const retry = this.opts.retry ?? { baseMs: 100, capMs: 30_000 };
    let onDisk = false;
    for (let attempt = 0; ; attempt++) {
      let r;
      try {
        r = await this.driver.send(batch, this.abort.signal);
      } catch (e) {
        r = { status: 'retry' as const, error: e as Error };
      }
      if (r.status === 'ok') {
        this.stats.sent += batch.length;
        this.failing = false;
        if (onDisk) this.skipSpooled(batch.length);
        return 'ok';
      }
      this.stats.errors++;
      this.opts.onError?.(r.error, !this.failing);
      this.failing = true;
      for (const w of this.failWaiters.splice(0)) w();
      if (r.status === 'fail') {
        this.stats.dropped['send-failed'] += batch.length;
        if (onDisk) this.skipSpooled(batch.length);
        return 'failed';
      }
      if (fromMemory && !onDisk && this.spill(batch)) onDisk = true;
      if (this.abort.signal.aborted) {
        if (fromMemory && !onDisk) this.stats.dropped.closed += batch.length;
        return 'aborted';
      }
      await sleep(Math.max(r.retryAfterMs ?? 0, fullJitter(attempt, retry.baseMs, retry.capMs)), this.abort.signal);
      this.stats.retries++;
    }
  }

  /**
   * drop-policy=oldest: frees at least `need` bytes by dropping queued lines from the front.
   * A batch already handed to the driver stays; what still does not fit is dropped from the new lines.
   */
  private dropOldest(need: number): void {
    this.stats.dropped['buffer-full'] += this.mem.dropOldest(need);
    this.stats.queuedBytes = this.bytes;
  }

  private dropAll(): void {
    this.spill(); // with a spool that can take them in order, they wait on disk for the next agent
    this.stats.dropped.closed += this.mem.dropAll();
    for (const p of this.pending.splice(0)) this.stats.dropped.closed += p.length;
    this.inflight = 0; // the pump drops between batches: nothing is in flight
    this.stats.queuedBytes = 0;
  }

  private releaseWaiters(): void {
    if (this.bytes >= this.opts.delivery.maxBufferBytes || this.pending.length) return;
    for (const w of this.waiters.splice(0)) w();
  }
}

const SPOOL_BATCH_FLOOR = 64 << 10;
const PENDING_RETRY_MS = 1000;

function byteSize(msgs: readonly LogMessage[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += lineLength(msgs[i]!);
  return n;
}

/**
 * Closes outlets, giving them at most graceMs to deliver what they hold; then whatever is still
 * queued is dropped and counted (reason closed). For the agent's shutdown.
 */
export async function closeWithin(outlets: readonly Outlet[], graceMs: number): Promise<void> {
  if (!outlets.length) return;
  const all = Promise.all(outlets.map((o) => o.close()));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((r) => { timer = setTimeout(r, graceMs); })]);
  clearTimeout(timer);
  for (const o of outlets) o.abortNow();
  await all;
}
