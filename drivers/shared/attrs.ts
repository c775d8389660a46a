import { DriverContext, OptionError } from '../../engine/logs/driver';

/** The options that pick workload labels and env vars to store with each line (Docker's ExtraAttributes). */
export const ATTR_OPTS = ['labels', 'labels-regex', 'env', 'env-regex'] as const;

function regexOpt(key: string, text: string | undefined): RegExp | undefined {
  if (!text) return undefined;
  try {
    return new RegExp(text);
  } catch (e) {
    throw new OptionError(`invalid value "${text}" for log opt ${key}: not a valid regular expression (${(e as Error).message})`);
  }
}

/** Validates the attribute options at `run` time so a bad regex never reaches the first line. */
export function checkAttrOptions(opts: Readonly<Record<string, string>>): void {
  regexOpt('labels-regex', opts['labels-regex']);
  regexOpt('env-regex', opts['env-regex']);
}

/** Labels and env values selected by labels/labels-regex/env/env-regex; env wins over a label of the same key. */
export function extraAttributes(opts: Readonly<Record<string, string>>, ctx: DriverContext): Record<string, string> {
  const out: Record<string, string> = {};
  const pick = (source: Readonly<Record<string, string>>, list?: string, re?: RegExp) => {
    for (const k of (list ?? '').split(',')) if (k && k in source) out[k] = source[k]!;
    if (re) for (const [k, v] of Object.entries(source)) if (re.test(k)) out[k] = v;
  };
  pick(ctx.labels, opts['labels'], regexOpt('labels-regex', opts['labels-regex']));
  const env: Record<string, string> = {};
  for (const kv of ctx.env) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  pick(env, opts['env'], regexOpt('env-regex', opts['env-regex']));
  return out;
}
