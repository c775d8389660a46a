import * as os from 'node:os';
import { DriverContext, DriverDefinition, LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage } from '../../engine/logs/message';
import { extraAttributes } from '../shared/attrs';
import { expandTag } from '../shared/tag';
import { describeAddress } from './address';
import { ConnectionConfig, ForwardConnection } from './connection';
import { FluentdOptions, parseFluentdOptions } from './options';
import { probeFluentd } from './probe';
import { ForwardRecord, ForwardTime, RecordBuilder } from './record';

const MAX_RETRY_WAIT_MS = 60_000; // fluent-logger-golang's MaxRetryWait, as Docker uses it
const DEFAULT_ACK_TIMEOUT_MS = 10_000;

/**
 * Docker's fluentd driver on fluent-logger, minus its hangs: nothing here waits for fluentd
 * outside send(). A batch goes out as one Forward frame (PackedForward by default); send()
 * resolves when the library has written it, or fluentd acked it with request-ack. A connection
 * that fails is dropped with whatever the library still held, and the outlet resends the batch.
 */
export class FluentdDriver implements LogDriver {
  readonly name = 'fluentd';
  private connection: ForwardConnection | undefined;
  /** Failed sends in a row: the outlet retries one batch until ok or fail. */
  private failures = 0;
  /** How far a batch split into several frames got, so a retry does not resend the frames fluentd has. */
  private progress: { batch: readonly LogMessage[]; done: number } | undefined;

  constructor(private readonly o: FluentdOptions, private readonly records: RecordBuilder, private readonly config: ConnectionConfig) {}

  async send(batch: readonly LogMessage[], signal: AbortSignal): Promise<SendResult> {
    let from = this.progress?.batch === batch ? this.progress.done : 0;
    try {
      while (from < batch.length) {
        if (signal.aborted) throw new Error('send aborted: the outlet is closing');
        const to = Math.min(batch.length, from + this.o.bufferLimit);
        await this.sendFrame(batch, from, to, signal);
        from = to;
      }
      this.failures = 0;
      this.progress = undefined;
      return { status: 'ok' };
    } catch (e) {
      this.progress = from > 0 ? { batch, done: from } : undefined;
      return this.classify(e as Error);
    }
  }

  async close(): Promise<void> {
    this.connection?.end();
    this.connection = undefined;
  }

  private async sendFrame(batch: readonly LogMessage[], from: number, to: number, signal: AbortSignal): Promise<void> {
    const conn = this.open();
    const times: ForwardTime[] = new Array(to - from);
    const records: ForwardRecord[] = new Array(to - from);
    for (let i = from; i < to; i++) {
      times[i - from] = this.records.time(batch[i]!);
      records[i - from] = this.records.record(batch[i]!);
    }
    try {
      await bounded(conn.write(times, records), signal, this.o.writeTimeoutMs);
    } catch (e) {
      conn.close(e as Error);
      if (this.connection === conn) this.connection = undefined;
      throw e;
    }
  }

  /** The current connection, or a new one when it failed or outlived fluentd-async-reconnect-interval. */
  private open(): ForwardConnection {
    const c = this.connection;
    if (c && !c.failed && (this.o.reconnectIntervalMs === null || Date.now() - c.openedAt < this.o.reconnectIntervalMs)) return c;
    if (c?.failed) c.close(new Error('connection replaced')); // the server hung up on it: release what the library holds
    else c?.end();
    return (this.connection = new ForwardConnection(this.config));
  }

  private classify(e: Error): SendResult {
    const error = new Error(`fluentd at ${describeAddress(this.o.address)}: ${e.message}`);
    // A refused handshake (wrong shared key, same hostname) will not fix itself by retrying.
    if (e.name === 'HandshakeError') { this.failures = 0; return { status: 'fail', error }; }
    this.failures++;
    if (this.o.maxRetries !== null && this.failures > this.o.maxRetries) {
      this.failures = 0;
      this.progress = undefined;
      return { status: 'fail', error: new Error(`${error.message} (gave up after fluentd-max-retries=${this.o.maxRetries})`) };
    }
    const retryAfterMs = Math.min(MAX_RETRY_WAIT_MS, this.o.retryWaitMs * 1.5 ** (this.failures - 1));
    return { status: 'retry', error, retryAfterMs };
  }
}

/** Settles with p, or rejects when the signal aborts or the timeout passes. */
function bounded<T>(p: Promise<T>, signal: AbortSignal, timeoutMs: number | null): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = (e: Error) => { cleanup(); reject(e); };
    const onAbort = () => stop(new Error('send aborted: the outlet is closing'));
    const timer = timeoutMs === null ? undefined : setTimeout(() => stop(new Error(`no answer within fluentd-write-timeout (${timeoutMs} ms)`)), timeoutMs);
    const cleanup = () => { if (timer) clearTimeout(timer); signal.removeEventListener('abort', onAbort); };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { cleanup(); resolve(v); }, stop);
  });
}

export function openFluentdDriver(o: FluentdOptions, ctx: DriverContext): FluentdDriver {
  const records = new RecordBuilder(ctx, extraAttributes(o.attrs, ctx), o.subSecondPrecision);
  return new FluentdDriver(o, records, {
    tag: expandTag(o.attrs['tag'] || '{{.ID}}', ctx),
    address: o.address,
    eventMode: o.eventMode,
    requestAck: o.requestAck,
    ackTimeoutMs: o.readTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    sharedKey: o.sharedKey,
    clientHostname: ctx.hostname ?? os.hostname(),
  });
}

export const fluentd: DriverDefinition<FluentdOptions> = {
  name: 'fluentd',
  parseOptions: parseFluentdOptions,
  // One batch is one PackedForward frame; fluent-logger's own default flush bound is 8 MiB.
  batch: { maxEvents: 8192, maxBytes: 4 << 20, flushMs: 0 },
  create: async (o, ctx) => openFluentdDriver(o, ctx),
  probe: (o, _ctx, timeoutMs) => probeFluentd(o.address, timeoutMs),
};
