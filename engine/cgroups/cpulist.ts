/**
 * Kernel cpu/node lists ("0-2,7") as moby's parseUintList reads them: `7`, `1-6`,
 * `0,3-4,7,8-10`; a number above `maximum` (when non-zero) is refused so a typo
 * can't make a giant set. Throws Error with moby's inner message.
 */
export function parseUintList(val: string, maximum = 0): Set<number> {
  const out = new Set<number>();
  if (val === '') return out;
  const invalid = () => new Error(`invalid format: ${val}`);
  const atoi = (s: string): number => {
    if (!/^[+-]?\d+$/.test(s)) throw invalid();
    return Number(s);
  };
  for (const r of val.split(',')) {
    if (!r.includes('-')) {
      const v = atoi(r);
      if (maximum !== 0 && v > maximum) throw new Error(`value of out range, maximum is ${maximum}`);
      out.add(v);
      continue;
    }
    const i = r.indexOf('-');
    const lo = atoi(r.slice(0, i));
    const hi = atoi(r.slice(i + 1));
    if (hi < lo) throw invalid();
    if (maximum !== 0 && hi > maximum) throw new Error(`value of out range, maximum is ${maximum}`);
    for (let k = lo; k <= hi; k++) out.add(k);
  }
  return out;
}

/**
 * Whether every cpu/node in `provided` is in `available` (moby isCpusetListAvailable):
 * numbers up to 8192 are accepted, or up to the largest available one if higher.
 */
export function isListAvailable(provided: string, available: string): boolean {
  const have = parseUintList(available);
  let max = 8192;
  for (const m of have) if (m > max) max = m;
  for (const k of parseUintList(provided, max)) if (!have.has(k)) return false;
  return true;
}
