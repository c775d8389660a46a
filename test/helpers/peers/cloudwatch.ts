import * as http from 'node:http';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { AddressInfo, Socket } from 'node:net';

/**
 * A CloudWatch Logs endpoint on 127.0.0.1, written from the public API reference: AWS JSON 1.1
 * (`POST /`, `X-Amz-Target: Logs_20140328.<Operation>`), SigV4-signed requests checked against
 * the keys it was given, and PutLogEvents' documented rules enforced as the service does:
 * chronological order, at most 10,000 events and 1,048,576 bytes counting 26 per event, an event
 * size limit, a 24-hour span of the valid events, events too old / too new / past retention
 * refused through rejectedLogEventsInfo while the rest is stored, and a missing group or stream
 * answered with ResourceNotFoundException. Faults (throttling, 5xx, hang, reset) on demand.
 */

export const ACCESS_KEY_ID = 'AKIACORRALTEST000001';
export const SECRET_ACCESS_KEY = 'corral/peer/secret/key/for/loopback/tests00';

/** 'ok' answers normally: it lets a fault hit a later call (inject('PutLogEvents', 'ok', 'throttle')). */
export type Fault = 'ok' | 'throttle' | 'server-error' | 'unavailable' | 'hang' | 'reset';
export type Operation = 'CreateLogGroup' | 'CreateLogStream' | 'PutLogEvents' | 'GetLogEvents' | 'FilterLogEvents' | 'DescribeLogStreams';

export interface StoredEvent { timestamp: number; message: string; ingestionTime: number; eventId: string }
export interface PeerCall {
  operation: string;
  /** Region and service of the SigV4 credential scope. */
  region: string;
  service: string;
  accessKeyId: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** The error type answered, if any. */
  error?: string;
}

export interface CloudWatchPeerOptions {
  /** The service's clock in ms: events are too old / too new against it (default Date.now). */
  now?: () => number;
  /** Access key id -> secret; unknown keys get UnrecognizedClientException. */
  credentials?: Record<string, string>;
  /** Message bytes + 26 allowed per event (the 256 KiB limit Docker assumes; the service now allows 1 MB). */
  maxEventBytes?: number;
  /** Listen on this port (default: any free one). */
  port?: number;
  /** Count stored events without keeping them (benchmarks). */
  discard?: boolean;
}

interface LogStream { name: string; created: number; events: StoredEvent[] }
interface LogGroup { name: string; retentionDays: number | undefined; streams: Map<string, LogStream> }

const DAY = 86_400_000;
const OVERHEAD = 26;

class ApiError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) { super(message); }
}

export class CloudWatchPeer {
  readonly groups = new Map<string, LogGroup>();
  readonly calls: PeerCall[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private readonly sockets = new Set<Socket>();
  private readonly server: http.Server;
  private readonly now: () => number;
  private readonly credentials: Record<string, string>;
  private readonly maxEventBytes: number;
  private ingested = 0;
  private readonly discard: boolean;
  /** Events stored (kept or, with discard, only counted) and PutLogEvents calls that stored them. */
  readonly totals = { events: 0, puts: 0, bytes: 0 };
  port = 0;

  private constructor(opts: CloudWatchPeerOptions) {
    this.now = opts.now ?? Date.now;
    this.credentials = opts.credentials ?? { [ACCESS_KEY_ID]: SECRET_ACCESS_KEY };
    this.maxEventBytes = opts.maxEventBytes ?? 262_144;
    this.port = opts.port ?? 0;
    this.discard = opts.discard ?? false;
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
  }

  static async start(opts: CloudWatchPeerOptions = {}): Promise<CloudWatchPeer> {
    const peer = new CloudWatchPeer(opts);
    await peer.up();
    return peer;
  }

  get endpoint(): string { return `http://127.0.0.1:${this.port}`; }

  /** The next calls of `operation` meet these faults, one per call, in order. */
  inject(operation: Operation, ...faults: Fault[]): void {
    this.faults.set(operation, [...(this.faults.get(operation) ?? []), ...faults]);
  }

  /** Forgets the faults not met yet: every call is answered normally again. */
  heal(): void {
    this.faults.clear();
  }

  createGroup(name: string, retentionDays?: number): void {
    if (!this.groups.has(name)) this.groups.set(name, { name, retentionDays, streams: new Map() });
  }

  createStream(group: string, stream: string): void {
    this.createGroup(group);
    const g = this.groups.get(group)!;
    if (!g.streams.has(stream)) g.streams.set(stream, { name: stream, created: this.now(), events: [] });
  }

  /** A stream's events in the order they were stored. */
  events(group: string, stream: string): StoredEvent[] {
    return this.groups.get(group)?.streams.get(stream)?.events ?? [];
  }

  /** Every event of a group, in the order stored. */
  allEvents(group: string): (StoredEvent & { stream: string })[] {
    const out: (StoredEvent & { stream: string; seq: number })[] = [];
    for (const s of this.groups.get(group)?.streams.values() ?? []) for (const e of s.events) out.push({ ...e, stream: s.name, seq: Number(e.eventId) });
    return out.sort((a, b) => a.seq - b.seq);
  }

  callsOf(operation: string): PeerCall[] { return this.calls.filter((c) => c.operation === operation); }

  async up(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => { this.server.off('error', reject); resolve(); });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and cuts every connection (hung requests included). */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^Logs_20140328\./, '');
      const call: PeerCall = { operation, region: '', service: '', accessKeyId: '', headers: req.headers, body: {} };
      if (!this.discard) this.calls.push(call); // a benchmark keeps no bodies
      const fault = this.faults.get(operation)?.shift();
      if (fault === 'hang' || fault === 'reset') call.error = fault;
      if (fault === 'hang') return; // never answers: only down()/close() end it
      if (fault === 'reset') { req.socket.destroy(); return; }
      try {
        this.authenticate(req, raw, call);
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1') {
          throw new ApiError('SerializationException', 'expected POST with Content-Type application/x-amz-json-1.1');
        }
        call.body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
        if (fault === 'throttle') throw new ApiError('ThrottlingException', 'Rate exceeded');
        if (fault === 'server-error') throw new ApiError('InternalFailure', 'The request processing has failed because of an unknown error.', 500);
        if (fault === 'unavailable') throw new ApiError('ServiceUnavailableException', 'The service cannot complete the request.', 503);
        this.reply(res, 200, this.dispatch(operation, call.body));
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError('SerializationException', (e as Error).message);
        call.error = err.type;
        this.reply(res, err.status, { __type: err.type, message: err.message });
      }
    });
  }

  private reply(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
    res.end(text);
  }

  /** SigV4 as the service checks it: the scope, the key, and the signature over the canonical request. */
  private authenticate(req: http.IncomingMessage, body: Buffer, call: PeerCall): void {
    const auth = String(req.headers['authorization'] ?? '');
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) throw new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const [, keyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
    Object.assign(call, { accessKeyId: keyId, region, service });
    const secret = this.credentials[keyId!];
    if (secret === undefined) throw new ApiError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const names = signedHeaders!.split(';');
    const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const canonical = ['POST', req.url ?? '/', '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
    let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date!).digest();
    for (const part of [region!, service!, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    if (createHmac('sha256', key).update(toSign).digest('hex') !== signature) {
      throw new ApiError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
    }
  }

  private dispatch(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'CreateLogGroup': return this.opCreateGroup(body);
      case 'CreateLogStream': return this.opCreateStream(body);
      case 'PutLogEvents': return this.opPut(body);
      case 'GetLogEvents': return this.opGet(body);
      case 'FilterLogEvents': return this.opFilter(body);
      case 'DescribeLogStreams': return this.opDescribe(body);
      default: throw new ApiError('UnknownOperationException', `unknown operation ${operation}`);
    }
  }

  private group(name: unknown): LogGroup {
    const g = this.groups.get(String(name));
    if (!g) throw new ApiError('ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  }

  private stream(group: unknown, name: unknown): LogStream {
    const s = this.group(group).streams.get(String(name));
    if (!s) throw new ApiError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return s;
  }

  private opCreateGroup(b: Record<string, unknown>): unknown {
    const name = String(b['logGroupName'] ?? '');
    if (!name) throw new ApiError('InvalidParameterException', 'logGroupName is required');
    if (this.groups.has(name)) throw new ApiError('ResourceAlreadyExistsException', 'The specified log group already exists');
    this.createGroup(name);
    return {};
  }

  private opCreateStream(b: Record<string, unknown>): unknown {
    const g = this.group(b['logGroupName']);
    const name = String(b['logStreamName'] ?? '');
    if (!name) throw new ApiError('InvalidParameterException', 'logStreamName is required');
    if (g.streams.has(name)) throw new ApiError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    this.createStream(g.name, name);
    return {};
  }

  private opPut(b: Record<string, unknown>): unknown {
    const s = this.stream(b['logGroupName'], b['logStreamName']);
    const g = this.group(b['logGroupName']);
    const events = b['logEvents'];
    if (!Array.isArray(events) || events.length < 1 || events.length > 10_000) {
      throw new ApiError('InvalidParameterException', `1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and 10000`);
    }
    let total = 0;
    for (const [i, e] of events.entries()) {
      const { timestamp, message } = e as { timestamp: unknown; message: unknown };
      if (!Number.isSafeInteger(timestamp) || typeof message !== 'string' || message.length === 0) {
        throw new ApiError('InvalidParameterException', `1 validation error detected: Value at 'logEvents.${i + 1}.member' failed to satisfy constraint: a timestamp and a message of length >= 1 are required`);
      }
      const size = Buffer.byteLength(message) + OVERHEAD;
      if (size > this.maxEventBytes) throw new ApiError('InvalidParameterException', `Log event too large: ${size} bytes exceeds limit of ${this.maxEventBytes}`);
      total += size;
      if (i > 0 && (timestamp as number) < (events[i - 1] as { timestamp: number }).timestamp) {
        throw new ApiError('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.');
      }
    }
    if (total > 1_048_576) throw new ApiError('InvalidParameterException', `Upload too large: ${total} bytes exceeds limit of 1048576`);
    const now = this.now();
    const ts = (i: number) => (events[i] as { timestamp: number }).timestamp;
    let tooOld = 0;
    while (tooOld < events.length && ts(tooOld) < now - 14 * DAY) tooOld++;
    let expired = 0;
    const retention = g.retentionDays;
    if (retention !== undefined) while (expired < events.length && ts(expired) < now - retention * DAY) expired++;
    let tooNew = events.length;
    while (tooNew > 0 && ts(tooNew - 1) > now + 2 * 3_600_000) tooNew--;
    const first = Math.max(tooOld, expired);
    if (first < tooNew && ts(tooNew - 1) - ts(first) > DAY) {
      throw new ApiError('InvalidParameterException', 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    for (let i = first; i < tooNew && !this.discard; i++) {
      const e = events[i] as { timestamp: number; message: string };
      s.events.push({ timestamp: e.timestamp, message: e.message, ingestionTime: now, eventId: String(++this.ingested) });
    }
    Object.assign(this.totals, { events: this.totals.events + tooNew - first, puts: this.totals.puts + 1, bytes: this.totals.bytes + total });
    const rejected: Record<string, number> = {};
    if (tooOld) rejected['tooOldLogEventEndIndex'] = tooOld;
    if (expired) rejected['expiredLogEventEndIndex'] = expired;
    if (tooNew < events.length) rejected['tooNewLogEventStartIndex'] = tooNew;
    return { nextSequenceToken: String(this.ingested), ...(Object.keys(rejected).length ? { rejectedLogEventsInfo: rejected } : {}) };
  }

  private opGet(b: Record<string, unknown>): unknown {
    const s = this.stream(b['logGroupName'], b['logStreamName']);
    const from = Number(b['startTime'] ?? -Infinity);
    const to = Number(b['endTime'] ?? Infinity);
    const all = [...s.events].sort((x, y) => x.timestamp - y.timestamp).filter((e) => e.timestamp >= from && e.timestamp < to);
    const offset = Number(/^f\/(\d+)$/.exec(String(b['nextToken'] ?? ''))?.[1] ?? 0);
    const limit = Number(b['limit'] ?? 10_000);
    const page = all.slice(offset, offset + limit);
    return {
      events: page.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
      nextForwardToken: `f/${offset + page.length}`,
      nextBackwardToken: `b/${offset}`,
    };
  }

  /** Terms of the filter pattern must all appear (a quoted term is one phrase); no pattern matches all. */
  private opFilter(b: Record<string, unknown>): unknown {
    const g = this.group(b['logGroupName']);
    const names = (b['logStreamNames'] as string[] | undefined) ?? [...g.streams.keys()].filter((n) => n.startsWith(String(b['logStreamNamePrefix'] ?? '')));
    const terms = [...String(b['filterPattern'] ?? '').matchAll(/"([^"]*)"|(\S+)/g)].map((t) => t[1] ?? t[2]!);
    const from = Number(b['startTime'] ?? -Infinity);
    const to = Number(b['endTime'] ?? Infinity);
    const events = [];
    for (const n of names) {
      for (const e of g.streams.get(n)?.events ?? []) {
        if (e.timestamp >= from && e.timestamp <= to && terms.every((t) => e.message.includes(t))) events.push({ logStreamName: n, ...e });
      }
    }
    events.sort((x, y) => x.timestamp - y.timestamp);
    return { events: events.slice(0, Number(b['limit'] ?? 10_000)), searchedLogStreams: names.map((logStreamName) => ({ logStreamName, searchedCompletely: true })) };
  }

  private opDescribe(b: Record<string, unknown>): unknown {
    const g = this.group(b['logGroupName']);
    const prefix = String(b['logStreamNamePrefix'] ?? '');
    const streams = [...g.streams.values()].filter((s) => s.name.startsWith(prefix)).sort((x, y) => (x.name < y.name ? -1 : 1));
    return {
      logStreams: streams.slice(0, Number(b['limit'] ?? 50)).map((s) => ({
        logStreamName: s.name,
        creationTime: s.created,
        arn: `arn:aws:logs:us-east-1:000000000000:log-group:${g.name}:log-stream:${s.name}`,
        storedBytes: 0,
        ...(s.events.length ? {
          firstEventTimestamp: s.events.reduce((a, e) => Math.min(a, e.timestamp), Infinity),
          lastEventTimestamp: s.events.reduce((a, e) => Math.max(a, e.timestamp), -Infinity),
          lastIngestionTime: s.events.at(-1)!.ingestionTime,
        } : {}),
      })),
    };
  }
}
