/** Times as Go prints and parses them (RFC3339Nano), with nanoseconds kept as bigint. */

const NS_PER_S = 1_000_000_000n;

function secondsPart(ns: bigint): { head: string; frac: string } {
  let s = ns / NS_PER_S;
  let f = ns % NS_PER_S;
  if (f < 0n) { f += NS_PER_S; s -= 1n; }
  const head = new Date(Number(s) * 1000).toISOString().slice(0, 19);
  return { head, frac: f.toString().padStart(9, '0') };
}

/** Go's time.RFC3339Nano in UTC: trailing zeros of the fraction trimmed, no fraction when zero. */
export function formatRFC3339Nano(ns: bigint): string {
  const { head, frac } = secondsPart(ns);
  const trimmed = frac.replace(/0+$/, '');
  return trimmed.length ? `${head}.${trimmed}Z` : `${head}Z`;
}

/** Docker's `logs -t` form: always nine fraction digits. */
export function formatFixedNano(ns: bigint): string {
  const { head, frac } = secondsPart(ns);
  return `${head}.${frac}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses RFC3339 / RFC3339Nano (with Z or an offset) to ns since the epoch; undefined if malformed. */
export function parseRFC3339Nano(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  // setUTCFullYear, not Date.UTC: that one reads years 0-99 as 1900-1999.
  const t = new Date(0);
  t.setUTCFullYear(+y!, +mo! - 1, +d!);
  // A month or day out of range (Feb 31, month 13) rolls over into another month: Go refuses it.
  if (t.getUTCMonth() !== +mo! - 1 || +h! > 23 || +mi! > 59 || +s! > 60) return undefined;
  const ms = t.setUTCHours(+h!, +mi!, +s!, 0);
  let ns = BigInt(ms) * 1_000_000n + BigInt((frac ?? '').padEnd(9, '0') || '0');
  if (!z) {
    const off = BigInt((+oh! * 60 + +om!) * 60) * NS_PER_S;
    ns = sign === '+' ? ns - off : ns + off;
  }
  return ns;
}
