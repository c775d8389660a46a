import fluentLogger from 'fluent-logger';
import type { Socket } from 'node:net';
import { FluentdAddress } from './address';
import { encodeEntry } from './entry';
import { EventMode } from './options';
import { ForwardRecord, ForwardTime } from './record';

export interface ConnectionConfig {
  tag: string;
  address: FluentdAddress;
  eventMode: EventMode;
  requestAck: boolean;
  ackTimeoutMs: number;
  sharedKey: string | null;
  clientHostname: string;
}

/**
 * fluent-logger 3.4.1 keeps no public handle on its socket. We read it to notice a connection
 * the server closed (the library only notices on its next write) and to tear one down.
 */
interface SenderInternals {
  _socket: Socket | null;
  _disconnect(): void;
  /** Encodes one PackedForward entry (see encodeEntry for why we replace it). */
  _makeEventEntry(time: ForwardTime, data: ForwardRecord): Buffer;
  /** Encodes one Message-mode request; its packet has the same 2 KiB buffer. */
  _makePacketItem(tag: string, time: ForwardTime, data: ForwardRecord): { packet: Buffer };
}

/** The library adds EventEmitter's methods to its sender at run time; its typings leave them out. */
/** How long an ended connection may wait for the server to hang up too. */
const END_GRACE_MS = 5000;

type Sender = fluentLogger.FluentSender<ForwardRecord> & { on(event: 'error' | 'connect', listener: (e: Error) => void): void };

/**
 * One fluent-logger sender, used for the life of one connection. After an error the library
 * keeps what it queued and neither reports nor drops it, so a failed sender is never written to
 * again (its queue would go out twice): the driver opens a new one and resends the batch.
 */
export class ForwardConnection {
  readonly openedAt = Date.now();
  private readonly sender: Sender;
  private failure: Error | undefined;
  private rejectPending: ((e: Error) => void) | undefined;
  private watched: Socket | undefined;
  /** The library's last complaint (an invalid HELO is only logged, then the socket closed). */
  private libraryNote = '';

  constructor(private readonly c: ConnectionConfig) {
    const a = c.address;
    const options: fluentLogger.Options & { enableReconnect: boolean } = {
      ...(a.scheme === 'unix' ? { path: a.path } : { host: a.host, port: a.port }),
      tls: a.scheme === 'tls',
      eventMode: c.eventMode,
      requireAckResponse: c.requestAck,
      ackResponseTimeout: c.ackTimeoutMs,
      // Write each batch at once: the outlet has already batched it.
      flushInterval: 1,
      sendQueueSizeLimit: 1,
      // Reconnecting is ours to do (with a fresh sender), and errors are ours to report.
      enableReconnect: false,
      internalLogger: { info: () => {}, error: (m: unknown) => { this.libraryNote = String(m); } },
      ...(c.sharedKey !== null ? { security: { clientHostname: c.clientHostname, sharedKey: c.sharedKey } } : {}),
    };
    this.sender = fluentLogger.createFluentSender<ForwardRecord>(c.tag, options) as Sender;
    const lib = this.sender as unknown as SenderInternals;
    const libraryEntry = lib._makeEventEntry.bind(lib);
    lib._makeEventEntry = (time, data) => encodeEntry(time, data) ?? libraryEntry(time, data);
    const libraryItem = lib._makePacketItem.bind(lib);
    lib._makePacketItem = (tag, time, data) => {
      const item = libraryItem(tag, time, data);
      item.packet = Buffer.from(item.packet); // a copy of its own size (pooled): the queue holds it until its turn
      return item;
    };
    this.sender.on('error', (e: Error) => this.fail(e));
    this.sender.on('connect', () => this.watchSocket());
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Resolves when the library has written every event (and, with request-ack, fluentd has
   * acknowledged them); rejects on the first error of this connection.
   */
  write(times: readonly ForwardTime[], records: readonly ForwardRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!records.length) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.rejectPending = reject;
      const last = records.length - 1;
      // Callbacks come in order; the last one settles the batch, errors arrive as 'error' events too.
      const done = (err?: Error) => {
        if (err) return this.fail(err);
        this.rejectPending = undefined;
        resolve();
      };
      try {
        for (let i = 0; i <= last; i++) {
          this.sender.emit(records[i]!, times[i] as fluentLogger.Timestamp, i === last ? done : undefined);
        }
      } catch (e) {
        this.fail(e as Error);
      }
    });
  }

  /**
   * Hangs up once what was written has gone out. The server's last acks are still read: closing
   * with unread data would make the kernel reset the connection and fluentd lose the tail.
   */
  end(): void {
    if (this.failure) return;
    this.fail(new Error('connection ended'));
    const socket = this.watched;
    if (!socket || socket.destroyed) return this.close(this.failure!);
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    socket.once('close', () => clearTimeout(timer));
    this.sender.end(null as unknown as string, null as unknown as ForwardRecord, () => {});
  }

  /** Fails what is pending and drops the connection at once; nothing of this sender is sent afterwards. */
  close(reason: Error): void {
    this.fail(reason);
    const lib = this.sender as unknown as SenderInternals;
    // With request-ack, a write still in the kernel's hands calls back into the library, which then
    // reads its socket to wait for the ack: leave it in place (destroyed) rather than null.
    if (this.c.requestAck) lib._socket?.destroy();
    else lib._disconnect();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const reject = this.rejectPending;
    this.rejectPending = undefined;
    reject?.(e);
  }

  /**
   * The library decodes what the server sends (acks, HELO, PONG) inside its 'data' listeners and
   * lets a decode error escape: garbage from a server would crash the agent. Such an error fails
   * this connection instead (the driver retries on a new one).
   */
  private guardReads(socket: Socket): void {
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
      if (event !== 'data') return emit(event, ...args);
      try {
        return emit(event, ...args);
      } catch (e) {
        this.fail(new Error(`fluentd sent an unreadable answer: ${(e as Error).message}`));
        socket.destroy();
        return true;
      }
    }) as typeof socket.emit;
  }

  private watchSocket(): void {
    const socket = (this.sender as unknown as SenderInternals)._socket;
    if (!socket || socket === this.watched) return; // tls sockets report connect twice
    this.watched = socket;
    this.guardReads(socket);
    socket.once('close', () => this.fail(new Error(this.libraryNote || 'fluentd closed the connection')));
    // PackedForward always asks for an ack; without request-ack nobody reads them, so drain them.
    if (!this.c.requestAck) socket.resume();
  }
}
