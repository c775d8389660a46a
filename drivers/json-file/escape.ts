/**
 * JSON string escaping exactly as Docker's json-file encoder does it (Go's rules):
 * `\"` `\\` `\n` `\r`; other bytes below 0x20 and `<` `>` `&` as `\u00XX`;
 * U+2028/U+2029 as `\u2028`/`\u2029`; each byte of invalid UTF-8 as `\ufffd`.
 * Works on bytes so a line that needs nothing is copied as it is.
 */

const HEX = '0123456789abcdef';
/** 0: copy as is; 1: escape (ASCII); 2: start of a multi-byte sequence (check UTF-8). */
const CLASS = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  if (b >= 0x80) CLASS[b] = 2;
  else if (b < 0x20 || b === 0x22 || b === 0x5c || b === 0x3c || b === 0x3e || b === 0x26) CLASS[b] = 1;
}

/** True when the bytes need no escaping at all (the fast path). */
export function isPlain(src: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (CLASS[src[i]!] !== 0) return false;
  return true;
}

/** Length of a valid UTF-8 sequence at i (2-4), or 0 if the byte at i starts no valid sequence. */
function utf8Len(s: Uint8Array, i: number, end: number): number {
  const b0 = s[i]!;
  if (b0 < 0xc2 || b0 > 0xf4) return 0;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && s[i + k]! >= lo && s[i + k]! <= hi;
  if (b0 < 0xe0) return cont(1) ? 2 : 0;
  if (b0 < 0xf0) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf; // no UTF-16 surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  const lo = b0 === 0xf0 ? 0x90 : 0x80;
  const hi = b0 === 0xf4 ? 0x8f : 0xbf; // nothing above U+10FFFF
  return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
}

/** Upper bound of the escaped size: every byte may become a 6-byte `\u00XX`. */
export function maxEscapedLength(n: number): number {
  return n * 6;
}

/**
 * Writes the escaped bytes of src[start, end) into out at pos (no quotes) and
 * returns the new position. out must have room for maxEscapedLength(end - start).
 */
export function writeEscaped(src: Uint8Array, start: number, end: number, out: Buffer, pos: number): number {
  let run = start; // start of the bytes not yet copied
  let i = start;
  while (i < end) {
    const b = src[i]!;
    const c = CLASS[b]!;
    if (c === 0) { i++; continue; }
    let esc: string | undefined;
    let size = 1;
    if (c === 1) {
      esc = b === 0x22 ? '\\"' : b === 0x5c ? '\\\\' : b === 0x0a ? '\\n' : b === 0x0d ? '\\r'
        : `\\u00${HEX[b >> 4]}${HEX[b & 15]}`;
    } else {
      size = utf8Len(src, i, end);
      if (size === 0) { esc = '\\ufffd'; size = 1; }
      else if (size === 3 && b === 0xe2 && src[i + 1] === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) {
        esc = src[i + 2] === 0xa8 ? '\\u2028' : '\\u2029';
      }
    }
    if (esc !== undefined) {
      if (i > run) { out.set(src.subarray(run, i), pos); pos += i - run; }
      pos += out.write(esc, pos, 'latin1');
      run = i + size;
    }
    i += size;
  }
  if (end > run) { out.set(src.subarray(run, end), pos); pos += end - run; }
  return pos;
}

/** Escapes a JS string the same way (for attrs built once at start-up). */
export function escapeString(s: string): string {
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(maxEscapedLength(src.length));
  return out.toString('utf8', 0, writeEscaped(src, 0, src.length, out, 0));
}

const GO_SHORT: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0c: '\\f' };

/**
 * Escapes a JS string as Go's encoding/json (json.Marshal, HTML-safe) does: what Docker uses
 * for `attrs`. The same as the log field's rules except tab, backspace and form feed, which
 * encoding/json writes as `\t` `\b` `\f` (Go 1.22 and later).
 */
export function escapeGoJson(s: string): string {
  const src = Buffer.from(s, 'utf8');
  let out = '';
  let run = 0;
  for (let i = 0; i < src.length; i++) {
    const short = GO_SHORT[src[i]!];
    if (short === undefined) continue;
    out += escapeString(src.toString('utf8', run, i)) + short;
    run = i + 1;
  }
  return out + escapeString(src.toString('utf8', run));
}
