import { ReadWarning } from '../../../engine/logs/reader';
import { BLOCK, Blob } from './blob';
import { ChainFile } from './chainfile';
import { Position } from './position';

/**
 * Where the last n entries of blob[0, end) begin, reading backwards in large blocks and
 * counting newlines, so the cost grows with n and not with the file. An unterminated
 * fragment after the last newline is not an entry. count < n means the file holds only
 * count entries and they start at 0.
 */
export async function lastEntries(blob: Blob, end: number, n: number): Promise<{ start: number; count: number }> {
  // The (n+1)-th newline from the end closes the entry before the first one wanted.
  let seen = 0;
  let p = end;
  while (p > 0) {
    const from = Math.max(0, p - BLOCK);
    const buf = await blob.read(from, p - from);
    for (let i = buf.lastIndexOf(10); i >= 0; i = i > 0 ? buf.lastIndexOf(10, i - 1) : -1) {
      if (++seen === n + 1) return { start: from + i + 1, count: n };
    }
    p = from;
  }
  return { start: 0, count: seen };
}

/**
 * The start of the last n entries across the chain, newest file first, older ones only
 * while more are needed. floor bounds how far back to look (a since position found already).
 */
export async function tailStart(
  files: readonly ChainFile[],
  n: number,
  floor: Position,
  warn: (w: ReadWarning) => void,
): Promise<Position> {
  let need = n;
  for (let i = files.length - 1; i >= floor.index; i--) {
    const blob = await files[i]!.blob(warn);
    if (need === 0) return { index: i, pos: blob.size };
    const { start, count } = await lastEntries(blob, blob.size, need);
    if (count === need) return { index: i, pos: start };
    need -= count;
  }
  return floor;
}
