import * as net from 'node:net';
import { Client, ClientOptions, LogOptions, Transport, TransportCallback } from 'syslog-client';
import { SyslogAddress } from './address';
import { Dialer, dialerFor } from './dial';
import { TlsFiles } from './options';
import { UnixDatagram } from './unixgram';

interface FrameOptions extends LogOptions {
  frame: Buffer;
}

/**
 * syslog-client's Client, used for its job: one lazily connected transport that is dropped on
 * error or close and reopened by the next log(), connect requests queued while connecting,
 * write/send with error callbacks, close(). Two extensions:
 *  - frames come pre-formatted (Docker's formats, see encode.ts): buildFormattedMessage passes
 *    them through, as the library's own formats lack the 3164 TAG and use its own pid;
 *  - TLS and unix stream sockets, which the library cannot open, come from a Dialer through
 *    getTransport; the library then writes to them as to its own TCP socket.
 */
class FrameClient extends Client {
  private closed = false;
  private readonly waiting: TransportCallback[] = [];

  constructor(target: string, options: ClientOptions, private readonly dial: Dialer | undefined, private readonly connectTimeoutMs: number) {
    super(target, options);
  }

  override buildFormattedMessage(_message: string, options: LogOptions): Buffer {
    return (options as FrameOptions).frame;
  }

  override getTransport(cb: TransportCallback): void {
    if (this.closed) return cb(new Error('the syslog connection is closed'));
    if (!this.dial) {
      return super.getTransport((e, t) => {
        if (!t || !this.closed) return cb(e, t);
        super.close(); // a connect the library finished after close() must not leave a socket behind
        cb(new Error('the syslog connection is closed'));
      });
    }
    if (this.transport_) return cb(null, this.transport_);
    this.waiting.push(cb);
    if (this.waiting.length > 1) return;
    const settle = (e: Error | null, t?: net.Socket | UnixDatagram) => { for (const w of this.waiting.splice(0)) w(e, t as net.Socket); };
    this.dial(this.connectTimeoutMs).then((socket) => {
      if (this.closed) { if (socket instanceof UnixDatagram) socket.close(); else socket.destroy(); return settle(new Error('the syslog connection is closed')); }
      this.adopt(socket);
      settle(null, socket);
    }, (e: Error) => settle(e));
  }

  override close(): this {
    this.closed = true;
    return super.close();
  }

  /** Whether what is connected now takes one datagram per message (udp, unixgram). */
  get datagrams(): boolean {
    return this.transport === Transport.Udp;
  }

  /**
   * Wires a dialed socket the way the library wires its own: a unix datagram socket is sent to
   * as its UDP socket (the local address may turn out to be either kind).
   */
  private adopt(socket: net.Socket | UnixDatagram): void {
    this.transport = socket instanceof UnixDatagram ? Transport.Udp : Transport.Tcp;
    this.transport_ = socket as net.Socket;
    socket.on('error', (e) => { if (this.transport_ === socket) this.onError(e); });
    socket.on('close', () => { if (this.transport_ === socket) this.onClose(); });
    socket.unref();
  }
}

/** The messages of an encoded batch, one buffer each (`ends` are their end offsets). */
function split(buf: Buffer, ends: readonly number[]): Buffer[] {
  const out: Buffer[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    out[i] = buf.subarray(start, ends[i]);
    start = ends[i]!;
  }
  return out;
}

/** One connection to a syslog server: stream frames (tcp, tls, unix) or one datagram per message (udp, unixgram). */
export class SyslogLink {
  private readonly client: FrameClient;

  constructor(address: SyslogAddress, tlsFiles: TlsFiles, connectTimeoutMs: number) {
    const network = address.kind === 'udp' || address.kind === 'tcp' ? address : undefined;
    this.client = new FrameClient(network?.host ?? '127.0.0.1', {
      port: network?.port,
      transport: address.kind === 'udp' || address.kind === 'unixgram' ? Transport.Udp : Transport.Tcp,
      tcpTimeout: connectTimeoutMs,
    }, dialerFor(address, tlsFiles), connectTimeoutMs);
    // The library also reports connection trouble as 'error' events (an emitter without a
    // listener would throw); the failed send's own callback carries the error we act on.
    this.client.on('error', () => {});
  }

  /**
   * Hands an encoded batch to the kernel, in order: one write on a stream, one datagram per
   * message otherwise. Rejects on the first error or when signal aborts.
   */
  async send(buf: Buffer, ends: readonly number[], signal: AbortSignal): Promise<void> {
    await this.connect(signal); // the framing depends on what the address turned out to be
    const frames = this.client.datagrams ? split(buf, ends) : [buf];
    return new Promise((resolve, reject) => {
      let left = frames.length;
      let settled = false;
      const finish = (e?: Error) => {
        if (settled || (!e && --left > 0)) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (e) reject(e); else resolve();
      };
      const onAbort = () => finish(new Error('send aborted: the log outlet is closing'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (!left) return finish();
      const options = (frame: Buffer): FrameOptions => ({ frame });
      for (const frame of frames) this.client.log('', options(frame), (e) => finish(e ?? undefined));
    });
  }

  /** Connects (a no-op for udp, which has no connection); for the probe. */
  connect(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new Error('no connection in time'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.client.getTransport((e) => {
        signal.removeEventListener('abort', onAbort);
        if (e) reject(e); else resolve();
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
