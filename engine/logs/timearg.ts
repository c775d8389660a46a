/**
 * Docker's `--since` / `--until` values, to ns since the epoch. Tried in Docker's order:
 * a Go duration (before now; the literal "0" is not one), an RFC3339 time or one of its
 * shorter forms (local time when no zone is given), Unix seconds[.fraction].
 */

const NS_PER_S = 1_000_000_000n;
const MAX_DURATION = 2n ** 63n - 1n; // Go's time.Duration is an int64 of ns

const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n,
  s: NS_PER_S, m: 60n * NS_PER_S, h: 3600n * NS_PER_S,
};
// "ms" before "m" and "s": alternation takes the first that matches.
const COMPONENT = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/** Go's time.ParseDuration: `1h30m`, `1.5h`, `300ms`, `-10m`; undefined when it is not one. */
export function parseDuration(text: string): bigint | undefined {
  let s = text;
  const neg = s.startsWith('-');
  if (neg || s.startsWith('+')) s = s.slice(1);
  if (s === '0') return 0n;
  if (!s) return undefined;
  let total = 0n;
  while (s) {
    const m = COMPONENT.exec(s);
    if (!m || (!m[1] && !m[2])) return undefined; // each component needs digits and a unit
    const unit = UNITS[m[3]!]!;
    const frac = m[2] ?? '';
    total += BigInt(m[1] || '0') * unit + (frac ? (BigInt(frac) * unit) / 10n ** BigInt(frac.length) : 0n);
    if (total > MAX_DURATION) return undefined;
    s = s.slice(m[0].length);
  }
  return neg ? -total : total;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(?:(Z)|([+-])(\d{2}):(\d{2}))?$/;

/**
 * `2006-01-02T15:04:05.999999999Z07:00` and its shorter forms: fraction, seconds, minutes and
 * the hour may be left out from the right, the zone too (then it is local time).
 * Returns undefined when the text has another shape, a string saying why when a field is out of range.
 */
export function parseTimeOfDay(text: string): bigint | string | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12) return 'month out of range';
  if (d < 1 || d > daysIn(y, mo)) return 'day out of range';
  if (h > 23) return 'hour out of range';
  if (mi > 59) return 'minute out of range';
  if (s > 59) return 'second out of range';
  const fracNs = BigInt((m[7] ?? '').padEnd(9, '0'));
  let ms: number;
  if (m[8] || m[9]) {
    const off = m[9] ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) : 0;
    if (Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59) return 'time zone offset out of range';
    const t = new Date(0);
    t.setUTCFullYear(y, mo - 1, d); // setUTCFullYear: years below 100 are not shifted to 19xx
    t.setUTCHours(h, mi, s, 0);
    ms = t.getTime() - off * 60_000;
  } else {
    const t = new Date(0);
    t.setFullYear(y, mo - 1, d);
    t.setHours(h, mi, s, 0);
    ms = t.getTime();
  }
  return BigInt(ms) * 1_000_000n + fracNs;
}

function daysIn(y: number, mo: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo, 0); // day 0 of the next month: the last day of this one
  return t.getUTCDate();
}

/** Unix `seconds[.fraction]`, the form Docker's CLI sends; fraction digits past 9 are dropped. */
export function parseUnixTime(text: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  return BigInt(m[1]!) * NS_PER_S + BigInt((m[2] ?? '').slice(0, 9).padEnd(9, '0'));
}

/**
 * Parses a `--since`/`--until` value (flagName as the user sees it, e.g. `--since`).
 * A duration counts back from nowNs. Throws an Error naming the flag and the accepted forms.
 */
export function parseTimeArg(text: string, nowNs: bigint, flagName: string): bigint {
  const d = text === '0' ? undefined : parseDuration(text);
  if (d !== undefined) return nowNs - d;
  const t = parseTimeOfDay(text);
  if (typeof t === 'bigint') return t;
  const u = parseUnixTime(text);
  if (u !== undefined) return u;
  const flag = flagName.startsWith('-') ? flagName : `--${flagName}`;
  const why = typeof t === 'string' ? `${t}; ` : '';
  throw new Error(
    `invalid value "${text}" for ${flag}: ${why}expected a duration like 10m or 1h30m, an RFC3339 time like ` +
      '2006-01-02T15:04:05Z or 2006-01-02T15:04:05.999999999+07:00 (without a zone, or cut to ' +
      '2006-01-02T15:04, 2006-01-02T15 or 2006-01-02: local time), or Unix seconds like 1136214245.5',
  );
}
