/**
 * What the agent never shows unless asked (`inspect --no-redact`, `ps --no-redact`): secret
 * env values, URL passwords, secret query parameters and private key material. One set of
 * rules for inspect, ps, events, error messages and the agent's own log. The workload itself
 * always gets the real values: this only changes what is displayed.
 */

export const MASK = '***';

/** Env names whose value is a secret: *_KEY, *_SECRET, *_TOKEN, *PASSWORD*, AWS credentials (any case). */
const SECRET_NAME = /(_KEY|_SECRET|_TOKEN)$|PASSWORD|PASSWD|^AWS_ACCESS_KEY_ID$/i;

/** scheme://user:password@host: the password (up to the last @ before a space or a path). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*):([^\s/"]*)@/gi;
/** ?proxyPassword=..., &access_token=...: query parameters that carry secrets (not tlsCertificateKeyFile, a path). */
const SECRET_PARAM = /([?&;][^=&;\s]*(?:password|passwd|secret|token|api_?key|access_?key|signature)[^=&;\s]*=)[^&;\s"]*/gi;
/** mongodb's authMechanismProperties=AWS_SESSION_TOKEN:<token>. */
const SESSION_TOKEN = /(AWS_SESSION_TOKEN(?::|%3A))[^,&\s]*/gi;
/** PEM private keys, even cut short (an error message that echoes half a key). */
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Any text (a log line of the agent, an error message, a label) with its secrets masked. */
export function redactText(text: string): string {
  if (!text.includes('://') && !text.includes('=') && !text.includes('-----BEGIN') && !/AWS_SESSION_TOKEN/i.test(text)) return text;
  return text
    .replace(PRIVATE_KEY, MASK)
    .replace(URL_PASSWORD, `$1:${MASK}@`)
    .replace(SECRET_PARAM, `$1${MASK}`)
    .replace(SESSION_TOKEN, `$1${MASK}`);
}

/** `NAME=value` entries: secret names get `NAME=***`, other values lose URL passwords and keys. */
export function redactEnv(env: readonly string[]): string[] {
  return env.map((kv) => {
    const i = kv.indexOf('=');
    if (i < 0) return kv;
    return isSecretName(kv.slice(0, i)) ? `${kv.slice(0, i + 1)}${MASK}` : kv.slice(0, i + 1) + redactText(kv.slice(i + 1));
  });
}

/**
 * Log options (`mongodb-uri`, or scoped `mongodb:mongodb-uri` with several drivers): keys that
 * name a secret are masked whole, every value loses URL passwords and keys. Paths (a TLS key's
 * file name) stay: they are not the secret.
 */
export function redactLogOpts(config: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    const bare = k.slice(k.indexOf(':') + 1);
    out[k] = /password|secret|token/i.test(bare) ? MASK : redactText(v);
  }
  return out;
}

/** Values of a string map (labels, event attributes) with their secrets masked. */
export function redactValues(map: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) out[k] = redactText(v);
  return out;
}
