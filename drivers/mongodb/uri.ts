import type { MongoClientOptions } from 'mongodb';
import { OptionError } from '../../engine/logs/driver';
import { mongo } from './load';

const REDACTED = '<credentials>';
/** Query options that carry secrets (as mongodb-connection-string-url redacts them). */
const SECRET_PARAMS = /((?:tlsCertificateKeyFilePassword|proxyPassword|proxyUsername)=)[^&]*|(AWS_SESSION_TOKEN(?::|%3A))[^,&]*/gi;

/** The URI with its user:password (and secret query options) replaced: safe for messages and logs. */
export function redactUri(uri: string): string {
  const scheme = uri.indexOf('://');
  const at = uri.lastIndexOf('@');
  let out = scheme >= 0 && at > scheme ? uri.slice(0, scheme + 3) + REDACTED + uri.slice(at) : uri;
  out = out.replace(SECRET_PARAMS, (_all, param?: string, token?: string) => (param ?? token) + REDACTED);
  return out;
}

/** The password in a URI, raw and decoded, so it can be scrubbed from any text (error messages). */
function secretsOf(uri: string): string[] {
  const scheme = uri.indexOf('://');
  const at = uri.lastIndexOf('@');
  if (scheme < 0 || at <= scheme) return [];
  const userinfo = uri.slice(scheme + 3, at);
  const colon = userinfo.indexOf(':');
  const raw = colon >= 0 ? userinfo.slice(colon + 1) : '';
  const out = [userinfo];
  if (raw) {
    out.push(raw);
    try { out.push(decodeURIComponent(raw)); } catch { /* not %-encoded */ }
  }
  return out.filter((s) => s.length > 0);
}

/** Any text (a driver error) with the URI and its password taken out. */
export function redactText(text: string, uri: string): string {
  let out = text.split(uri).join(redactUri(uri));
  for (const secret of secretsOf(uri)) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * Short timeouts so a down server becomes a quick 'retry' instead of the driver's 30 s wait;
 * each one only when the URI does not set it itself.
 */
const DEFAULTS: Readonly<Record<string, number | string>> = {
  serverSelectionTimeoutMS: 2_000,
  connectTimeoutMS: 2_000,
  socketTimeoutMS: 30_000,
  appName: 'corral',
};

export function clientOptions(uri: string, overrides: Partial<MongoClientOptions> = {}): MongoClientOptions {
  const query = uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '';
  const given = new Set(query.split('&').map((kv) => kv.split('=')[0]!.toLowerCase()));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(DEFAULTS)) if (!given.has(k.toLowerCase())) out[k] = v;
  return { ...(out as MongoClientOptions), ...overrides };
}

/** Parses the URI as the official driver does (without connecting); a bad one names the key. */
export function checkUri(uri: string): void {
  const hint = 'expected mongodb://[user:password@]host[:port][,host2...][/database][?options] or mongodb+srv://...';
  if (!uri.startsWith('mongodb://') && !uri.startsWith('mongodb+srv://')) {
    throw new OptionError(`invalid value "${redactUri(uri)}" for log opt mongodb-uri: ${hint}`);
  }
  try {
    new (mongo().MongoClient)(uri, clientOptions(uri));
  } catch (e) {
    throw new OptionError(`invalid value "${redactUri(uri)}" for log opt mongodb-uri: ${redactText((e as Error).message, uri)} (${hint})`);
  }
}

/**
 * Log options as `inspect` may show them: the URI's credentials replaced. For the agent, which
 * stores options as typed (`mongodb-uri`, or `mongodb:mongodb-uri` with several drivers).
 */
export function redactLogOptions(config: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...config };
  for (const key of Object.keys(out)) if (key === 'mongodb-uri' || key.endsWith(':mongodb-uri')) out[key] = redactUri(out[key]!);
  return out;
}
