/**
 * The journal's native protocol: an entry is a list of fields, `KEY=value\n` when the value has
 * no newline, else `KEY\n` + the value's length (64-bit little endian) + value + `\n`.
 * Field names are upper case [A-Z0-9_], at most 64 bytes, not starting with '_' (trusted fields)
 * or a digit; journald silently drops a field that breaks these rules.
 */

const MAX_NAME = 64;

/**
 * Docker's key sanitising (lower case to upper, anything else outside [A-Z0-9] to '_', leading
 * underscores dropped), plus what Docker leaves for journald to drop: leading digits go too and
 * the name is cut at 64 bytes. '' when nothing is left.
 */
export function sanitizeKey(key: string): string {
  let out = '';
  for (const ch of key) {
    let c = ch >= 'a' && ch <= 'z' ? ch.toUpperCase() : ch;
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
    if (out === '' && (c === '_' || (c >= '0' && c <= '9'))) continue;
    out += c;
  }
  return out.slice(0, MAX_NAME);
}

/** Bytes of one field in the native form. */
export function fieldSize(name: Buffer, value: Buffer): number {
  return value.includes(10) ? name.length + 1 + 8 + value.length + 1 : name.length + 1 + value.length + 1;
}

/** Writes one field at `at` in `out`; returns the offset after it. */
export function writeField(out: Buffer, at: number, name: Buffer, value: Buffer): number {
  at += name.copy(out, at);
  if (value.includes(10)) {
    out[at++] = 10;
    out.writeBigUInt64LE(BigInt(value.length), at);
    at += 8;
  } else {
    out[at++] = 61; // '='
  }
  at += value.copy(out, at);
  out[at++] = 10;
  return at;
}

/** Fields as one buffer, in order. */
export function encodeFields(fields: readonly (readonly [string, string | Buffer])[]): Buffer {
  const parts = fields.map(([k, v]) => [Buffer.from(k), typeof v === 'string' ? Buffer.from(v) : v] as const);
  const out = Buffer.allocUnsafe(parts.reduce((n, [k, v]) => n + fieldSize(k, v), 0));
  let at = 0;
  for (const [k, v] of parts) at = writeField(out, at, k, v);
  return out;
}
