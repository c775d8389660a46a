import * as crypto from 'node:crypto';
import * as net from 'node:net';

/**
 * Misbehaving TCP servers on 127.0.0.1, for clients that must not hang or crash on them:
 * `silent` accepts and reads but never answers; `garbage` answers every read with random bytes;
 * `slow` reads about 512 bytes every 50 ms (the kernel buffers fill and writes back up).
 */
export type Behaviour = 'silent' | 'garbage' | 'slow';

export class RawTcpServer {
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  connections = 0;
  bytesRead = 0;

  private constructor(private readonly server: net.Server, readonly behaviour: Behaviour) {}

  static async start(behaviour: Behaviour): Promise<RawTcpServer> {
    let self: RawTcpServer | undefined;
    const server = net.createServer((s) => self!.accept(s));
    self = new RawTcpServer(server, behaviour);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number { return (this.server.address() as net.AddressInfo).port; }

  private accept(s: net.Socket): void {
    this.connections++;
    this.sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
    if (this.behaviour === 'slow') {
      // Paused: nothing is read but what the timer takes.
      const t = setInterval(() => { const b = s.read(512) as Buffer | null; if (b) this.bytesRead += b.length; }, 50);
      this.timers.add(t);
      s.on('close', () => { clearInterval(t); this.timers.delete(t); });
      s.pause();
      return;
    }
    s.on('data', (d: Buffer) => {
      this.bytesRead += d.length;
      if (this.behaviour === 'garbage') s.write(crypto.randomBytes(256));
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
