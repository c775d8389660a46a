/**
 * Sizes as Docker's go-units parses them: `FromHumanSize` is decimal (k = 1000),
 * `RAMInBytes` is binary (k = 1024). Both accept an optional `b`/`ib` suffix and
 * fractions ("1.5m"). Undefined means the text is not a size.
 */
const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i;
const POW: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

function parse(text: string, base: number): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const n = Math.floor(parseFloat(m[1]!) * base ** POW[m[2]!.toLowerCase()]!);
  // Hundreds of digits overflow to Infinity: Go's ParseFloat calls that out of range, not a size.
  return Number.isFinite(n) ? n : undefined;
}

/** Decimal units: json-file `max-size` ("10m" = 10,000,000). */
export function fromHumanSize(text: string): number | undefined {
  return parse(text, 1000);
}

/** Binary units: `--memory`, `max-buffer-size` ("1m" = 1,048,576). */
export function ramInBytes(text: string): number | undefined {
  return parse(text, 1024);
}
