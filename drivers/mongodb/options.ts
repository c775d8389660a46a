import { OptionError, unknownOption } from '../../engine/logs/driver';
import { parseDuration } from '../../engine/logs/timearg';
import { ramInBytes } from '../../engine/units';
import { ATTR_OPTS, checkAttrOptions } from '../shared/attrs';
import { checkTemplate } from './names';
import { checkUri } from './uri';

export interface MongoOptions {
  /** As given (with credentials): only ever printed through redactUri(). */
  uri: string;
  /** Templates ({{.Name}}...) expanded per workload. */
  database: string;
  collection: string;
  /** A capped collection of this many bytes is created when missing; null = a normal collection. */
  cappedSize: number | null;
  /** Capped collections only: at most this many documents; null = no count limit. */
  cappedMax: number | null;
  /** A TTL index on `time` removes documents this many seconds old; null = kept forever. */
  ttlSeconds: number | null;
  /** The attribute options as given (labels, env, their regexes, tag), resolved per workload. */
  attrs: Record<string, string>;
}

export const DEFAULT_URI = 'mongodb://127.0.0.1:27017';
export const DEFAULT_DATABASE = 'corral';
export const DEFAULT_COLLECTION = 'logs';

const KEYS = new Set<string>([
  'mongodb-uri', 'mongodb-database', 'mongodb-collection', 'mongodb-capped-size', 'mongodb-capped-max', 'mongodb-ttl', 'tag', ...ATTR_OPTS,
]);

/** The mongodb driver's options, checked with messages that name the key (and never show a password). */
export function parseMongoOptions(opts: Readonly<Record<string, string>>): MongoOptions {
  for (const k of Object.keys(opts)) if (!KEYS.has(k)) throw unknownOption(k, 'mongodb');
  checkAttrOptions(opts);

  const uri = opts['mongodb-uri'] || DEFAULT_URI;
  checkUri(uri);
  const database = opts['mongodb-database'] || DEFAULT_DATABASE;
  checkTemplate('mongodb-database', database);
  const collection = opts['mongodb-collection'] || DEFAULT_COLLECTION;
  checkTemplate('mongodb-collection', collection);

  const cappedSize = sizeOpt('mongodb-capped-size', opts['mongodb-capped-size']);
  const cappedMax = countOpt('mongodb-capped-max', opts['mongodb-capped-max']);
  if (cappedMax !== null && cappedSize === null) {
    throw new OptionError('log opt mongodb-capped-max needs mongodb-capped-size: a capped collection is sized in bytes first (e.g. mongodb-capped-size=1g)');
  }
  const ttlSeconds = ttlOpt(opts['mongodb-ttl']);
  if (ttlSeconds !== null && cappedSize !== null) {
    throw new OptionError('log opt mongodb-ttl cannot be used with mongodb-capped-size: MongoDB does not allow TTL indexes on capped collections');
  }

  const attrs: Record<string, string> = {};
  for (const k of [...ATTR_OPTS, 'tag']) if (opts[k] !== undefined) attrs[k] = opts[k]!;
  if (attrs['tag'] !== undefined) checkTemplate('tag', attrs['tag']);
  return { uri, database, collection, cappedSize, cappedMax, ttlSeconds, attrs };
}

// MongoDB needs at least 4096 bytes for a capped collection (smaller sizes are rounded up).
const MIN_CAPPED = 4096;

function sizeOpt(key: string, text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const n = ramInBytes(text);
  if (n === undefined || n < MIN_CAPPED || !Number.isSafeInteger(n)) {
    throw new OptionError(`invalid value "${text}" for log opt ${key}: expected a size of at least 4k like 512m or 10g (binary units: 1m = 1,048,576 bytes)`);
  }
  return n;
}

function countOpt(key: string, text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new OptionError(`invalid value "${text}" for log opt ${key}: expected a whole number of documents >= 1`);
  return n;
}

const NS_PER_S = 1_000_000_000n;
const DAYS = /^(\d+)d(.*)$/;

/** `7d`, `24h`, `1d12h`, `90m` (Go durations plus days), or plain seconds; at least one second. */
export function parseTtl(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const days = DAYS.exec(text);
  const rest = days ? days[2]! : text;
  const restNs = rest === '' ? 0n : parseDuration(rest);
  if (restNs === undefined || restNs < 0n || (!days && rest === '')) return undefined;
  const ns = BigInt(days ? days[1]! : 0) * 86_400n * NS_PER_S + restNs;
  return Number(ns / NS_PER_S);
}

function ttlOpt(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const s = parseTtl(text);
  if (s === undefined || s < 1 || !Number.isSafeInteger(s)) {
    throw new OptionError(`invalid value "${text}" for log opt mongodb-ttl: expected a duration of at least 1s like 7d, 24h or 1h30m (or whole seconds)`);
  }
  return s;
}
