import { OptionError, unknownOption } from '../../engine/logs/driver';
import { parseDuration } from '../../engine/logs/timearg';
import { ramInBytes } from '../../engine/units';
import { parseBool } from '../json-file/options';
import { ATTR_OPTS, checkAttrOptions } from '../shared/attrs';
import { checkTag } from '../shared/tag';
import { FluentdAddress, parseFluentdAddress } from './address';

export const EVENT_MODES = ['Message', 'PackedForward', 'CompressedPackedForward'] as const;
export type EventMode = (typeof EVENT_MODES)[number];

export interface FluentdOptions {
  address: FluentdAddress;
  /** Accepted for Docker compatibility: corral never waits for fluentd, whatever it says. */
  async: boolean;
  /** Replace the connection after this long (Docker's fluentd-async-reconnect-interval); null = keep it. */
  reconnectIntervalMs: number | null;
  /** Most lines handed to the library (and so carried by one frame) at a time. */
  bufferLimit: number;
  /** First wait after a failed send; it grows 1.5x per retry up to 60 s, as Docker's. */
  retryWaitMs: number;
  /** Failed sends of one batch after which it is dropped (counted); null = never give up. */
  maxRetries: number | null;
  subSecondPrecision: boolean;
  requestAck: boolean;
  /** Bound on one send: connect, handshake, write (and ack); null = none. */
  writeTimeoutMs: number | null;
  /** How long to wait for an ack (request-ack); null = the library's 190 s. */
  readTimeoutMs: number | null;
  eventMode: EventMode;
  sharedKey: string | null;
  /** tag, labels, env and their regexes as given, resolved per workload. */
  attrs: Record<string, string>;
}

const KEYS = new Set<string>([
  'fluentd-address', 'fluentd-async', 'fluentd-async-connect', 'fluentd-async-reconnect-interval',
  'fluentd-buffer-limit', 'fluentd-retry-wait', 'fluentd-max-retries', 'fluentd-sub-second-precision',
  'fluentd-request-ack', 'fluentd-write-timeout', 'fluentd-read-timeout', 'fluentd-event-mode',
  'fluentd-shared-key', 'tag', ...ATTR_OPTS,
]);

const DEFAULT_BUFFER_LIMIT = 1024 * 1024; // Docker's default (a count, though parsed as a size)
const DEFAULT_RETRY_WAIT_MS = 1000;

/** Docker's fluentd options with their defaults and checks, plus fluentd-event-mode and fluentd-shared-key. */
export function parseFluentdOptions(opts: Readonly<Record<string, string>>): FluentdOptions {
  for (const k of Object.keys(opts)) if (!KEYS.has(k)) throw unknownOption(k, 'fluentd');
  checkAttrOptions(opts);
  const address = parseFluentdAddress(opts['fluentd-address']);
  const sharedKey = opts['fluentd-shared-key'] || null;
  if (sharedKey !== null && address.scheme === 'unix') {
    throw new OptionError('log opt fluentd-shared-key needs a tcp:// or tls:// fluentd-address (the handshake is not done on unix sockets)');
  }
  const reconnect = durationMs(opts, 'fluentd-async-reconnect-interval');
  if (reconnect !== null && (reconnect < 100 || reconnect > 10_000)) {
    throw new OptionError(`invalid value "${opts['fluentd-async-reconnect-interval']}" for log opt fluentd-async-reconnect-interval: expected a duration between 100ms and 10s`);
  }
  const attrs: Record<string, string> = {};
  for (const k of [...ATTR_OPTS, 'tag']) if (opts[k] !== undefined) attrs[k] = opts[k]!;
  if (attrs['tag']) checkTag(attrs['tag']); // a bad template fails `run`, not the first line
  return {
    address,
    async: bool(opts, 'fluentd-async') || bool(opts, 'fluentd-async-connect'),
    reconnectIntervalMs: reconnect,
    bufferLimit: bufferLimit(opts['fluentd-buffer-limit']),
    retryWaitMs: durationMs(opts, 'fluentd-retry-wait') ?? DEFAULT_RETRY_WAIT_MS,
    maxRetries: maxRetries(opts['fluentd-max-retries']),
    subSecondPrecision: bool(opts, 'fluentd-sub-second-precision'),
    requestAck: bool(opts, 'fluentd-request-ack'),
    writeTimeoutMs: durationMs(opts, 'fluentd-write-timeout'),
    readTimeoutMs: durationMs(opts, 'fluentd-read-timeout'),
    eventMode: eventMode(opts['fluentd-event-mode']),
    sharedKey,
    attrs,
  };
}

function bool(opts: Readonly<Record<string, string>>, key: string): boolean {
  const text = opts[key];
  if (text === undefined || text === '') return false;
  const v = parseBool(text);
  if (v === undefined) throw new OptionError(`invalid value "${text}" for log opt ${key}: expected true or false`);
  return v;
}

/** A Go duration ("500ms", "1s", "1m30s") in ms; 0 and absence both mean "not set". */
function durationMs(opts: Readonly<Record<string, string>>, key: string): number | null {
  const text = opts[key];
  if (text === undefined || text === '') return null;
  const ns = parseDuration(text);
  if (ns === undefined || ns < 0n) throw new OptionError(`invalid value "${text}" for log opt ${key}: expected a Go duration like 500ms, 1s or 1m30s`);
  return ns === 0n ? null : Math.max(1, Number(ns / 1_000_000n));
}

function bufferLimit(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_BUFFER_LIMIT;
  const n = ramInBytes(text);
  if (n === undefined || n <= 0) throw new OptionError(`invalid value "${text}" for log opt fluentd-buffer-limit: expected a positive number like 8192 or 1m (binary units)`);
  return n;
}

function maxRetries(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  if (!/^\d+$/.test(text)) throw new OptionError(`invalid value "${text}" for log opt fluentd-max-retries: expected a whole number >= 0`);
  return Number(text);
}

function eventMode(text: string | undefined): EventMode {
  if (text === undefined || text === '') return 'PackedForward';
  const mode = EVENT_MODES.find((m) => m.toLowerCase() === text.toLowerCase());
  if (!mode) throw new OptionError(`invalid value "${text}" for log opt fluentd-event-mode: expected ${EVENT_MODES.join(', ')}`);
  return mode;
}
