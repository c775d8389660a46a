import { isAscii } from 'node:buffer';

/**
 * Finds, in src[a, b), the bytes a JSON string needs escaped, skipping the newlines that
 * separate lines (they become entry boundaries). Native searches do most of the work:
 * isAscii for bytes >= 0x80, indexOf for `"` `\` `<` `>` `&`, and a 4-bytes-at-a-time
 * count for control characters. Returns the sorted positions, or null when the range
 * holds non-ASCII bytes (those lines take the byte-by-byte path).
 */
export function specialPositions(src: Buffer, a: number, b: number): number[] | null {
  if (b <= a) return [];
  if (!isAscii(src.subarray(a, b))) return null;
  const found: number[] = [];
  for (const ch of [0x22, 0x5c, 0x3c, 0x3e, 0x26]) {
    for (let i = src.indexOf(ch, a); i >= 0 && i < b; i = src.indexOf(ch, i + 1)) found.push(i);
  }
  controlPositions(src, a, b, found);
  return found.length > 1 ? found.sort((x, y) => x - y) : found;
}

function isControl(byte: number): boolean {
  return byte < 0x20 && byte !== 0x0a;
}

/** Pushes positions of bytes < 0x20 other than '\n'. Needs ASCII input (no byte >= 0x80). */
function controlPositions(src: Buffer, a: number, b: number, out: number[]): void {
  const base = src.byteOffset;
  let i = a;
  while (i < b && (base + i) % 4 !== 0) { if (isControl(src[i]!)) out.push(i); i++; }
  const words = Math.floor((b - i) / 4);
  if (words > 0) {
    const w32 = new Int32Array(src.buffer, base + i, words);
    for (let k = 0; k < words; k++) {
      // "Has a byte below 0x20" for ASCII words, in int32 arithmetic; the bytes of a hit are checked one by one.
      const w = w32[k]!;
      if (((w - 0x20202020) & ~w & 0x80808080) !== 0) {
        const p = i + k * 4;
        for (let j = p; j < p + 4; j++) if (isControl(src[j]!)) out.push(j);
      }
    }
    i += words * 4;
  }
  for (; i < b; i++) if (isControl(src[i]!)) out.push(i);
}
