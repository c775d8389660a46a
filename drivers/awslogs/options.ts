import { DriverContext, OptionError, unknownOption } from '../../engine/logs/driver';
import { parseBool } from '../json-file/options';
import { checkTag, expandTag } from '../shared/tag';
import { strftimeToRegexSource } from './strftime';

export interface AwsLogsOptions {
  region: string;
  /** awslogs-endpoint: the service URL (signing still uses the region). */
  endpoint: string | undefined;
  group: string;
  /** awslogs-stream as given; when absent the stream is the `tag` template. */
  stream: string | undefined;
  /** The tag template (Docker's default for awslogs: the full id). */
  tag: string;
  createGroup: boolean;
  createStream: boolean;
  /** A line matching this starts a new event; the lines in between join it (awslogs-multiline-pattern / -datetime-format). */
  multiline: RegExp | undefined;
  flushIntervalMs: number;
  /** Accepted as Docker does; corral's queue is bounded in bytes by the outlet (see README). */
  maxBufferedEvents: number;
  /** awslogs-format=json/emf: sent as the x-amzn-logs-format header. */
  format: 'json/emf' | undefined;
}

const DRIVER = 'awslogs';
const KEYS = new Set([
  'awslogs-region', 'awslogs-endpoint', 'awslogs-group', 'awslogs-stream', 'awslogs-create-group', 'awslogs-create-stream',
  'awslogs-datetime-format', 'awslogs-multiline-pattern', 'awslogs-force-flush-interval-seconds',
  'awslogs-max-buffered-events', 'awslogs-format', 'tag',
]);
const DEFAULT_FLUSH_SECONDS = 5;
const DEFAULT_MAX_BUFFERED_EVENTS = 4096;
export const JSON_EMF = 'json/emf';

/** Docker's awslogs options, defaults and checks; the region comes from the option, then the agent's AWS_REGION, then the endpoint's host. */
export function parseAwsLogsOptions(opts: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv = process.env): AwsLogsOptions {
  for (const k of Object.keys(opts)) if (!KEYS.has(k)) throw unknownOption(k, DRIVER);
  const group = opts['awslogs-group'] ?? '';
  if (!group) throw new OptionError("must specify a value for log opt 'awslogs-group'");

  const endpoint = parseEndpoint(opts['awslogs-endpoint']);
  const region = opts['awslogs-region'] || env['AWS_REGION'] || (endpoint && regionOfEndpoint(endpoint));
  if (!region) {
    throw new OptionError('cannot determine region for awslogs driver: set log opt awslogs-region, AWS_REGION in the agent\'s environment, '
      + 'or an awslogs-endpoint like https://logs.<region>.amazonaws.com');
  }

  const hasDatetime = 'awslogs-datetime-format' in opts;
  const hasPattern = 'awslogs-multiline-pattern' in opts;
  if (hasDatetime && hasPattern) {
    throw new OptionError("you cannot configure log opt 'awslogs-datetime-format' and 'awslogs-multiline-pattern' at the same time");
  }
  const formatText = opts['awslogs-format'];
  if (formatText) {
    if (formatText !== JSON_EMF) throw new OptionError(`unsupported log format '${formatText}' (log opt awslogs-format: only ${JSON_EMF})`);
    if (hasDatetime || hasPattern) {
      throw new OptionError(`you cannot configure log opt 'awslogs-datetime-format' or 'awslogs-multiline-pattern' when log opt 'awslogs-format' is set to '${JSON_EMF}'`);
    }
  }

  const tag = opts['tag'] ?? '{{.FullID}}';
  checkTag(tag); // a bad template fails at `run`, not at the first line
  return {
    region,
    endpoint,
    group,
    stream: opts['awslogs-stream'] || undefined,
    tag,
    createGroup: boolOpt(opts, 'awslogs-create-group', false),
    createStream: boolOpt(opts, 'awslogs-create-stream', true),
    multiline: multilinePattern(opts),
    flushIntervalMs: positiveInt(opts, 'awslogs-force-flush-interval-seconds', DEFAULT_FLUSH_SECONDS) * 1000,
    maxBufferedEvents: positiveInt(opts, 'awslogs-max-buffered-events', DEFAULT_MAX_BUFFERED_EVENTS),
    format: formatText ? JSON_EMF : undefined,
  };
}

/** The log stream a workload writes to: awslogs-stream, else the tag template. */
export function streamName(o: AwsLogsOptions, ctx: DriverContext): string {
  return o.stream ?? expandTag(o.tag, ctx);
}

function boolOpt(opts: Readonly<Record<string, string>>, key: string, dflt: boolean): boolean {
  const text = opts[key];
  if (!text) return dflt;
  const v = parseBool(text);
  if (v === undefined) throw new OptionError(`must specify valid value for log opt '${key}': "${text}" is not true or false`);
  return v;
}

function positiveInt(opts: Readonly<Record<string, string>>, key: string, dflt: number): number {
  const text = opts[key];
  if (!text) return dflt;
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  if (!(n > 0) || !Number.isSafeInteger(n)) throw new OptionError(`must specify a positive integer for log opt '${key}': ${text}`);
  return n;
}

function parseEndpoint(text: string | undefined): string | undefined {
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionError(`invalid value "${text}" for log opt awslogs-endpoint: expected a URL like https://logs.us-east-1.amazonaws.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OptionError(`invalid value "${text}" for log opt awslogs-endpoint: the scheme must be http or https`);
  }
  return text;
}

/** logs.<region>.amazonaws.com (and the -fips and .cn forms) name their region. */
export function regionOfEndpoint(endpoint: string): string | undefined {
  const host = new URL(endpoint).hostname;
  return /^logs(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

function multilinePattern(opts: Readonly<Record<string, string>>): RegExp | undefined {
  const datetime = opts['awslogs-datetime-format'];
  if (datetime) return compileGoRegExp('awslogs-datetime-format', datetime, strftimeToRegexSource(datetime));
  const pattern = opts['awslogs-multiline-pattern'];
  if (pattern) return compileGoRegExp('awslogs-multiline-pattern', pattern, pattern);
  return undefined;
}

/** Compiles a Go (RE2) pattern as a JS one; leading inline flags like (?i) become JS flags. */
function compileGoRegExp(key: string, given: string, source: string): RegExp {
  let flags = '';
  const inline = /^\(\?([ims]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) if (!flags.includes(f)) flags += f;
    source = source.slice(inline[0].length);
  }
  try {
    return new RegExp(source, flags + 'u'); // Unicode-aware like RE2 (\pL, . on a whole character)
  } catch {
    // RE2 allows escapes the u flag refuses (\- outside a class); fall back to the lenient form.
  }
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new OptionError(`invalid value "${given}" for log opt ${key}: not a valid regular expression (${(e as Error).message})`);
  }
}
