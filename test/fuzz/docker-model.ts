/**
 * An independent model of Docker's json-file `log` field: Go walks the bytes rune by rune
 * (utf8.DecodeRune: an invalid byte is one RuneError of width 1) and writes `\"` `\\` `\n`
 * `\r`, `\u00XX` for other control bytes and for < > &, `\u2028`/`\u2029`, `\ufffd` for
 * invalid bytes, and every other rune as its UTF-8 bytes. Valid runes are found here by
 * asking Node's decoder whether a 1-4 byte slice is exactly one code point that re-encodes
 * to itself, not by the encoder's own tables.
 */
export function runes(bytes: Buffer): Array<{ text: string; valid: boolean }> {
  const out: Array<{ text: string; valid: boolean }> = [];
  for (let i = 0; i < bytes.length;) {
    let n = 1;
    for (; n <= 4 && i + n <= bytes.length; n++) {
      const slice = bytes.subarray(i, i + n);
      const s = slice.toString('utf8');
      if ([...s].length === 1 && Buffer.from(s, 'utf8').equals(slice)) break;
    }
    if (n > 4 || i + n > bytes.length) { out.push({ text: '\ufffd', valid: false }); i += 1; } else { out.push({ text: bytes.toString('utf8', i, i + n), valid: true }); i += n; }
  }
  return out;
}

export function dockerEscape(bytes: Buffer): string {
  return runes(bytes).map(({ text, valid }) => {
    if (!valid) return '\\ufffd';
    const c = text.codePointAt(0)!;
    if (text === '"') return '\\"';
    if (text === '\\') return '\\\\';
    if (text === '\n') return '\\n';
    if (text === '\r') return '\\r';
    if (c < 0x20 || text === '<' || text === '>' || text === '&') return `\\u${c.toString(16).padStart(4, '0')}`;
    if (c === 0x2028 || c === 0x2029) return `\\u${c.toString(16)}`;
    return text;
  }).join('');
}

/** What a reader gets back from the file: the line with each invalid byte as U+FFFD. */
export const sanitized = (bytes: Buffer) => Buffer.from(runes(bytes).map((r) => r.text).join(''), 'utf8');
