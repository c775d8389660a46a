/** A place in the chain: byte pos in files[index] (decompressed bytes for a .gz). */
export interface Position {
  index: number;
  pos: number;
}

/** The later of two positions: reading starts where both tail and since allow. */
export function later(a: Position, b: Position): Position {
  return a.index !== b.index ? (a.index > b.index ? a : b) : a.pos >= b.pos ? a : b;
}
