import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';

/**
 * A Fluentd Forward Protocol v1 server, written from the public spec
 * (github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1): Message, Forward,
 * PackedForward and CompressedPackedForward (gzip) requests, EventTime (ext type 0) or integer
 * times, `chunk` answered with `{ack}`, nil heartbeats, and the HELO/PING/PONG shared-key
 * handshake. It keeps every event it decoded, and every request's carrier mode and options.
 */

/** The parts of msgpack-lite (fluent-logger's own msgpack library) this server uses. */
interface Codec { addExtUnpacker(type: number, unpack: (b: Buffer) => unknown): void }
interface StreamDecoder { on(event: 'data', f: (v: unknown) => void): void; decode(chunk: Buffer): void; buffer: Buffer | undefined; offset: number }
interface MsgpackLite {
  encode(value: unknown): Buffer;
  createCodec(o: { useraw: boolean }): Codec;
  Decoder: new (o: { codec: Codec }) => StreamDecoder;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const msgpack: MsgpackLite = require('msgpack-lite');

/** An EventTime as it came off the wire. */
class WireTime { constructor(readonly seconds: number, readonly nanos: number) {} }

// str decodes to raw bytes, as bin does: PackedForward entries may come as either (spec).
const codec = msgpack.createCodec({ useraw: true });
codec.addExtUnpacker(0, (b) => {
  if (b.length !== 8) throw new Error(`EventTime ext must be 8 bytes, got ${b.length}`);
  return new WireTime(b.readUInt32BE(0), b.readUInt32BE(4));
});

export type CarrierMode = 'Message' | 'Forward' | 'PackedForward' | 'CompressedPackedForward';

export interface EventTimeValue {
  seconds: number;
  nanos: number;
  /** True when sent as EventTime (ext 0), false for an integer of seconds. */
  eventTime: boolean;
}

export interface ForwardEvent {
  tag: string;
  time: EventTimeValue;
  record: Record<string, unknown>;
}

/** One request as received: its mode, options and how many events it carried. */
export interface ForwardRequest {
  tag: string;
  mode: CarrierMode;
  option: Record<string, unknown>;
  events: number;
}

export interface FluentdPeerOptions {
  /** Listen on this unix socket instead of 127.0.0.1. */
  path?: string;
  /** Require the shared-key handshake. */
  sharedKey?: string;
  serverHostname?: string;
  /** Serve TLS with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
}

/** How the peer answers a `chunk`: as the spec says, not at all (a stuck server), or with the wrong id. */
export type AckPolicy = 'ack' | 'silent' | 'wrong';

export class FluentdPeer {
  readonly events: ForwardEvent[] = [];
  readonly requests: ForwardRequest[] = [];
  readonly handshakes: { clientHostname: string; accepted: boolean }[] = [];
  /** Protocol errors seen (the connection is closed on each). */
  readonly errors: string[] = [];
  heartbeats = 0;
  connections = 0;
  ackPolicy: AckPolicy = 'ack';
  private server: net.Server | tls.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private port = 0;
  private paused = false;

  private constructor(private readonly o: FluentdPeerOptions) {}

  static async start(o: FluentdPeerOptions = {}, port = 0): Promise<FluentdPeer> {
    const peer = new FluentdPeer(o);
    peer.port = port;
    await peer.up();
    return peer;
  }

  /** The fluentd-address log option that points at this peer. */
  get address(): string {
    return this.o.path ? `unix://${this.o.path}` : `${this.o.tls ? 'tls://' : ''}127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const t = this.o.tls;
    const server = t
      ? tls.createServer({ cert: fs.readFileSync(t.cert), key: fs.readFileSync(t.key) }, (s) => this.accept(s))
      : net.createServer((s) => this.accept(s));
    if (this.o.path) fs.rmSync(this.o.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (this.o.path) server.listen(this.o.path, resolve);
      else server.listen(this.port, '127.0.0.1', resolve);
    });
    if (!this.o.path) this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** A slow server: stops reading its connections (the kernel buffers what clients send) until resume(). */
  pause(): void {
    this.paused = true;
    for (const s of this.sockets) s.pause();
  }

  resume(): void {
    this.paused = false;
    for (const s of this.sockets) s.resume();
  }

  /** Stops listening and drops every connection. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  close(): Promise<void> {
    return this.down();
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new msgpack.Decoder({ codec });
    let nonce: Buffer | undefined;
    if (this.o.sharedKey !== undefined) {
      nonce = crypto.randomBytes(16);
      socket.write(msgpack.encode(['HELO', { nonce, auth: '', keepalive: true }]));
    }
    decoder.on('data', (v) => {
      if (socket.destroyed) return;
      if (nonce) {
        if (this.pingPong(socket, v, nonce)) nonce = undefined;
        return;
      }
      this.request(socket, v);
    });
    socket.on('data', (chunk) => {
      try {
        decoder.decode(chunk);
      } catch (e) {
        this.errors.push((e as Error).message);
        socket.destroy();
      }
    });
    if (this.paused) socket.pause();
  }

  /** Checks a PING and answers PONG; true when the client is in. */
  private pingPong(socket: net.Socket, v: unknown, nonce: Buffer): boolean {
    const key = this.o.sharedKey!;
    const host = this.o.serverHostname ?? 'fluentd-peer';
    if (!Array.isArray(v) || v.length !== 6 || text(v[0]) !== 'PING') throw new Error('expected PING');
    const [, clientHostname, salt, digest] = v as [unknown, Buffer, Buffer, Buffer];
    const accepted = text(digest) === sha512Hex(salt, clientHostname, nonce, key);
    this.handshakes.push({ clientHostname: text(clientHostname), accepted });
    if (!accepted) {
      socket.end(msgpack.encode(['PONG', false, 'shared_key mismatch', host, '']));
      return false;
    }
    socket.write(msgpack.encode(['PONG', true, '', host, sha512Hex(salt, host, nonce, key)]));
    return true;
  }

  private request(socket: net.Socket, v: unknown): void {
    if (v === null) { this.heartbeats++; return; }
    if (!Array.isArray(v)) return; // the spec: ignore anything but an array
    const tag = text(v[0]);
    const second: unknown = v[1];
    let mode: CarrierMode;
    let entries: unknown[];
    let option: Record<string, unknown>;
    if (typeof second === 'number' || second instanceof WireTime) {
      mode = 'Message';
      entries = [[second, v[2]]];
      option = plain(v[3] ?? {}) as Record<string, unknown>;
    } else {
      option = plain(v[2] ?? {}) as Record<string, unknown>;
      if (Array.isArray(second)) {
        mode = 'Forward';
        entries = second;
      } else if (Buffer.isBuffer(second)) {
        const gzip = option['compressed'] === 'gzip';
        mode = gzip ? 'CompressedPackedForward' : 'PackedForward';
        entries = decodeAll(gzip ? zlib.gunzipSync(second) : second);
      } else {
        throw new Error(`request for ${tag}: cannot tell the carrier mode from its second element`);
      }
    }
    for (const e of entries) this.events.push(event(tag, e));
    this.requests.push({ tag, mode, option, events: entries.length });
    const chunk = option['chunk'];
    if (typeof chunk === 'string' && this.ackPolicy !== 'silent') {
      socket.write(msgpack.encode({ ack: this.ackPolicy === 'wrong' ? `not-${chunk}` : chunk }));
    }
  }
}

function event(tag: string, entry: unknown): ForwardEvent {
  if (!Array.isArray(entry) || entry.length !== 2) throw new Error('an Entry is [time, record]');
  const [t, record] = entry as [unknown, unknown];
  let time: EventTimeValue;
  if (t instanceof WireTime) time = { seconds: t.seconds, nanos: t.nanos, eventTime: true };
  else if (typeof t === 'number' && Number.isInteger(t)) time = { seconds: t, nanos: 0, eventTime: false };
  else throw new Error('time must be an EventTime or an integer');
  if (typeof record !== 'object' || record === null || Array.isArray(record) || Buffer.isBuffer(record)) throw new Error('record must be a map');
  return { tag, time, record: plain(record) as Record<string, unknown> };
}

/** The concatenated Entries of a (decompressed) PackedForward stream; all bytes must be used. */
function decodeAll(bytes: Buffer): unknown[] {
  const out: unknown[] = [];
  const d = new msgpack.Decoder({ codec });
  d.on('data', (v) => out.push(v));
  d.decode(bytes);
  if (d.buffer && d.offset !== d.buffer.length) throw new Error(`PackedForward stream: ${d.buffer.length - d.offset} bytes left over`);
  return out;
}

/** str/bin values as text (UTF-8), recursively. */
function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !(v instanceof WireTime)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

function text(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

function sha512Hex(...parts: (Buffer | string)[]): string {
  const h = crypto.createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}
