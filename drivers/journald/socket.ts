import * as fs from 'node:fs';
import * as os from 'node:os';
import { errnoError, native } from '../../engine/native';

const E = os.constants.errno;

/** What one send did: the datagram went, the receiver's queue is full, or an error to act on. */
export type SendOutcome = { ok: true } | { ok: false; again: boolean; error: NodeJS.ErrnoException };

const FULL: SendOutcome = { ok: false, again: true, error: errnoError(E.EAGAIN, 'journald\'s socket queue is full') };

/**
 * A connected, non-blocking unix datagram socket to journald (Node has none; corral's native
 * addon opens it). Reconnects lazily after journald went away (ECONNREFUSED when its socket is
 * a stale inode, ENOENT when it is gone).
 */
export class JournalSocket {
  private fd = -1;
  private waiting: Promise<number> | undefined;

  constructor(readonly path: string) {}

  static supported(): boolean {
    return native !== null;
  }

  /** Connects if not connected; throws an errno error when journald does not listen there. */
  connect(): void {
    if (this.fd >= 0) return;
    if (!native) throw new Error('the journald driver needs corral\'s native addon (unix datagram sockets), which is not built');
    const fd = native.unixDgramConnect(this.path);
    if (fd < 0) throw errnoError(-fd, `connect ${this.path}`);
    this.fd = fd;
  }

  send(datagram: Buffer): SendOutcome {
    try {
      this.connect();
    } catch (e) {
      return { ok: false, again: false, error: e as NodeJS.ErrnoException };
    }
    let n = native!.dgramSend(this.fd, datagram);
    // Too large for one datagram: the protocol's way is the entry in a sealed memfd, passed as an fd.
    if (n === -E.EMSGSIZE) n = native!.dgramSendMemfd(this.fd, datagram);
    if (n >= 0) return { ok: true };
    const errno = -n;
    if (errno === E.EAGAIN) return FULL; // the hot case under load: no new Error each time
    // ENOBUFS: the kernel's own buffers ran out for a moment; it passes like a full queue.
    const again = errno === E.ENOBUFS;
    if (!again && errno !== E.EMSGSIZE) this.close(); // the peer is gone: reconnect on the next send
    return { ok: false, again, error: errnoError(errno, `send to ${this.path}`) };
  }

  /**
   * Resolves once the receiver has room again (journald read from its queue), or after ms.
   * The poll runs on libuv's thread pool: the event loop goes on meanwhile.
   */
  async waitWritable(ms: number): Promise<void> {
    if (this.fd < 0 || !native) return;
    const wait = native.waitWritable(this.fd, ms);
    this.waiting = wait;
    try {
      await wait;
    } finally {
      if (this.waiting === wait) this.waiting = undefined;
    }
  }

  /** Closes once no wait is polling the fd (a closed fd's number may be reused at once). */
  async closeWhenIdle(): Promise<void> {
    await this.waiting;
    this.close();
  }

  close(): void {
    if (this.fd < 0) return;
    try { fs.closeSync(this.fd); } catch { /* already gone */ }
    this.fd = -1;
  }
}

/** Whether journald listens at path (a connect, nothing sent). */
export function journalListening(path: string): boolean {
  const s = new JournalSocket(path);
  try {
    s.connect();
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}
