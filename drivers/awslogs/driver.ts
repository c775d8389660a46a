import { fullJitter, sleep } from '../../engine/logs/backoff';
import { LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage } from '../../engine/logs/message';
import { CallPacker, inOrder, messagesIn, packCalls, priorIn } from './calls';
import { CallError, classify } from './classify';
import { EventAssembler } from './events';
import { CwEvent } from './limits';
import { RejectReason, Rejections } from './rejections';
import { LogStreamWriter } from './stream';

/** The batch being delivered: its calls, and how far they got (a retried batch resumes there). */
interface Job {
  readonly batch: readonly LogMessage[];
  readonly calls: CwEvent[][];
  /** The last call while it is not full: held once the batch is acknowledged, to fill up with the next ones. */
  readonly tail: CwEvent[];
  readonly tailBytes: number;
  next: number;
  /** Messages of this batch counted as refused (the outlet counts them itself if it drops the batch). */
  refusedHere: number;
}

// close() delivers what it still holds within this (the run has ended by then: nothing waits on it
// but the agent's shutdown, which aborts it), then gives up, counted. As long as an ended run's outlet drains.
const CLOSE_FLUSH_MS = 5 * 60_000;
const TIMER_CALL_MS = 10_000; // a flush from the timer never holds the next send() longer than this
const HELD_RETRY = { baseMs: 1_000, capMs: 30_000 };

export class AwsLogsDriver implements LogDriver {
  readonly name = 'awslogs';
  private readonly rejects = new Rejections();
  private job: Job | undefined;
  /**
   * Acknowledged events not sent yet: the last call of a batch while it is not full (Docker
   * publishes when a call is full or the flush interval passed), or a timer flush that failed.
   * They go with the next batch's calls, or by the timer.
   */
  private held: CwEvent[] = [];
  /** Size of `held` as the service counts it, when it is one call's tail (else 0, and it is packed again). */
  private heldBytes = 0;
  private heldAttempts = 0;
  private heldDue = 0;
  /** Nothing is held before a first call was stored: a wrong group, stream or key fails the first batch, visibly. */
  private proven = false;
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private closed = false;

  constructor(private readonly writer: LogStreamWriter, private readonly assembler: EventAssembler, private readonly flushMs: number) {}

  send(batch: readonly LogMessage[], signal: AbortSignal): Promise<SendResult> {
    return this.exclusive(() => this.deliver(batch, signal));
  }

  /** Messages answered 'ok' that did not reach CloudWatch (the outlet moves them from sent to dropped). */
  rejected(): number {
    return Object.values(this.rejections()).reduce((a, b) => a + b, 0);
  }

  rejections(): Record<RejectReason, number> {
    return { ...this.rejects.counts, empty: this.assembler.empties };
  }

  async close(giveUp?: AbortSignal): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.stopping.abort(); // a timer flush in flight hands its events back
    await this.exclusive(async () => {
      if (this.job) { this.drop(this.job); this.job = undefined; }
      const events = this.takeHeld();
      this.assembler.closeDue(0, events);
      if (events.length) await this.flushAtClose(events, giveUp);
    });
    this.writer.destroy();
  }

  private async deliver(batch: readonly LogMessage[], signal: AbortSignal): Promise<SendResult> {
    let job = this.job;
    if (job?.batch !== batch) {
      if (job) this.drop(job); // the outlet gave that one up
      job = this.job = this.plan(batch);
    }
    const result = await this.run(job, signal);
    if (result.status === 'ok') this.hold(job.tail, job.tailBytes);
    if (result.status === 'fail') this.drop(job);
    if (result.status !== 'retry') this.job = undefined;
    this.schedule();
    return result;
  }

  /**
   * The calls for a batch, held events first. In the usual case (the new events are in time
   * order after the held ones) the held call goes on filling where it stopped, so a fast
   * workload's lines are gone over once, not once per pipe chunk.
   */
  private plan(batch: readonly LogMessage[]): Job {
    const fresh: CwEvent[] = [];
    this.assembler.add(batch, fresh);
    const open = this.heldBytes;
    const held = this.takeHeld();
    let packer: CallPacker;
    let events = fresh;
    if (open && inOrder(fresh, held.at(-1)!.timestamp)) {
      packer = new CallPacker({ events: held, bytes: open });
    } else {
      packer = new CallPacker();
      if (held.length) events = held.concat(fresh);
      if (!inOrder(events)) events.sort((a, b) => a.timestamp - b.timestamp);
    }
    for (const e of events) packer.add(e);
    const { calls, lastBytes, lastFull } = packer.finish();
    const holdBack = this.proven && calls.length > 0 && !lastFull;
    return { batch, calls, tail: holdBack ? calls.pop()! : [], tailBytes: holdBack ? lastBytes : 0, next: 0, refusedHere: 0 };
  }

  private async run(job: Job, signal: AbortSignal): Promise<SendResult> {
    for (; job.next < job.calls.length; job.next++) {
      const call = job.calls[job.next]!;
      try {
        if (signal.aborted) throw new Error('aborted: the agent is closing this log');
        await this.put(call, signal);
      } catch (e) {
        const error = e as Error;
        if (signal.aborted || classify(causeOf(e)) === 'retry') return { status: 'retry', error };
        if (job.next === 0) return { status: 'fail', error }; // nothing of it is stored: the outlet counts it all
        const n = messagesIn(call); // earlier calls are stored: only this call's messages are lost
        this.rejects.add('refused', n);
        job.refusedHere += n - priorIn(call);
      }
    }
    return { status: 'ok' };
  }

  /** The outlet counts the job's batch as dropped; what else went down with it is counted here. */
  private drop(job: Job): void {
    this.rejects.add('refused', -job.refusedHere);
    for (let i = job.next; i < job.calls.length; i++) this.rejects.add('lost', priorIn(job.calls[i]!));
    this.rejects.add('lost', priorIn(job.tail) + this.assembler.discardLastBatch());
  }

  private takeHeld(): CwEvent[] {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    return held;
  }

  /** Holds an acknowledged, partly filled call until it fills up, or flushMs after its first event was held. */
  private hold(tail: CwEvent[], bytes: number): void {
    if (!tail.length) return;
    const now = Date.now();
    let since = now;
    for (let i = 0; i < tail.length; i++) {
      const e = tail[i]!;
      if (e.heldAt) since = Math.min(since, e.heldAt);
      else tail[i] = { ...e, prior: e.messages, heldAt: now }; // acknowledged now
    }
    this.held = tail;
    this.heldBytes = bytes;
    this.heldDue = since + this.flushMs;
    this.heldAttempts = 0;
  }

  /** Puts one call; what the service refused for its time is counted. */
  private async put(call: CwEvent[], signal: AbortSignal): Promise<void> {
    this.rejects.addRefusedByTime(call, await this.writer.put(call, signal));
    this.proven = true;
  }

  /** Arms the timer for the oldest open event (a multiline event, a line without its end) or held events. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    let due = this.assembler.nextDue(this.flushMs);
    if (this.held.length) due = Math.min(due ?? Infinity, this.heldDue);
    if (due === undefined) return;
    this.timer = setTimeout(() => void this.exclusive(() => this.flushDue()), Math.max(0, due - Date.now()));
    this.timer.unref();
  }

  private async flushDue(): Promise<void> {
    if (this.closed) return;
    if (this.job) {
      // The outlet is retrying a batch: it will take the open events along; look again later.
      this.timer = setTimeout(() => void this.exclusive(() => this.flushDue()), this.flushMs);
      this.timer.unref();
      return;
    }
    const events = this.takeHeld();
    this.assembler.closeDue(this.flushMs, events);
    const calls = packCalls(events);
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(TIMER_CALL_MS)]);
    for (let i = 0; i < calls.length; i++) {
      try {
        await this.put(calls[i]!, signal);
      } catch (e) {
        if (signal.aborted || classify(causeOf(e)) === 'retry') {
          this.held = calls.slice(i).flat();
          this.heldDue = Date.now() + fullJitter(this.heldAttempts++, HELD_RETRY.baseMs, HELD_RETRY.capMs);
          break;
        }
        this.rejects.add('refused', messagesIn(calls[i]!));
      }
    }
    if (!this.held.length) this.heldAttempts = 0;
    this.schedule();
  }

  /** Last chance for what the driver holds: retried while the deadline allows, then counted as lost. */
  private async flushAtClose(events: CwEvent[], giveUp: AbortSignal | undefined): Promise<void> {
    const signal = giveUp ? AbortSignal.any([AbortSignal.timeout(CLOSE_FLUSH_MS), giveUp]) : AbortSignal.timeout(CLOSE_FLUSH_MS);
    const calls = packCalls(events);
    for (let i = 0; i < calls.length; i++) {
      const outcome = await this.putUntil(calls[i]!, signal);
      if (outcome === 'refused') this.rejects.add('refused', messagesIn(calls[i]!));
      if (outcome === 'late') { for (const c of calls.slice(i)) this.rejects.add('lost', messagesIn(c)); return; }
    }
  }

  private async putUntil(call: CwEvent[], signal: AbortSignal): Promise<'stored' | 'refused' | 'late'> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await this.put(call, signal);
        return 'stored';
      } catch (e) {
        if (!signal.aborted && classify(causeOf(e)) === 'fail') return 'refused';
      }
      await sleep(fullJitter(attempt, 100, 1_000), signal);
    }
    return 'late';
  }

  /** One call at a time: send(), the flush timer and close() never interleave their puts. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f);
    this.lock = run.catch(() => {});
    return run;
  }
}

function causeOf(e: unknown): unknown {
  return e instanceof CallError ? e.cause : e;
}
