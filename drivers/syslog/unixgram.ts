import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { errnoError, native } from '../../engine/native';

/** Node has no unix datagram sockets; corral's native addon opens them (syslog's usual /dev/log). */
export const unixgramSupported = (): boolean => native !== null;

/**
 * A connected unix datagram socket, shaped like the dgram.Socket syslog-client sends through:
 * send(buf, offset, length, port, address, cb), close(), unref(), 'error' and 'close' events.
 * Sends never block: a full receiver answers EAGAIN, and the outlet retries the batch.
 */
export class UnixDatagram extends EventEmitter {
  private constructor(private fd: number, readonly path: string) { super(); }

  static connect(path: string): UnixDatagram {
    if (!native) throw new Error('unix datagram sockets need corral\'s native addon, which is not built');
    const fd = native.unixDgramConnect(path);
    if (fd < 0) throw errnoError(-fd, `connect ${path}`);
    return new UnixDatagram(fd, path);
  }

  send(buf: Buffer, offset: number, length: number, _port: unknown, _address: unknown, cb: (e: Error | null, bytes?: number) => void): void {
    const sent = this.fd < 0 ? -os.constants.errno.EBADF : native!.dgramSend(this.fd, buf.subarray(offset, offset + length));
    const error = sent < 0 ? errnoError(-sent, `send to ${this.path}`) : null;
    // Asynchronous like dgram's callback, so callers see one order of events either way.
    queueMicrotask(() => cb(error, error ? undefined : sent));
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
    queueMicrotask(() => this.emit('close'));
  }

  unref(): this { return this; }
}
