import { ReadWarning } from '../../../engine/logs/reader';
import { Blob } from './blob';
import { ChainFile } from './chainfile';
import { peekTime } from './decode';
import { Position } from './position';
import { lastEntries } from './tail';

/** A probe's first read; doubled while its line goes on. */
const PROBE = 16 * 1024;
/** Longest line a probe reads before giving up on it (Docker's lines are ~100 KiB at most). */
const MAX_PROBE = 16 * 1024 * 1024;
/** The binary search stops when the boundary is known to within this many bytes. */
const SPAN = 4 * 1024;
/** How far before the boundary reading starts: room for stdout/stderr times slightly out of order. */
const BACK_OFF = 16 * 1024;

interface Probe { start: number; end: number; time: bigint | undefined }

/**
 * The first complete line starting at or after p and before hi, with only its time parsed.
 * Reading from p - 1 tells whether p itself starts a line (a newline just before it).
 */
async function probe(blob: Blob, p: number, hi: number): Promise<Probe | undefined> {
  const from = p > 0 ? p - 1 : 0;
  for (let len = PROBE; len <= MAX_PROBE; len *= 2) {
    const buf = await blob.read(from, len);
    const nl = p > 0 ? buf.indexOf(10) : -1;
    const s = p > 0 ? (nl < 0 ? -1 : nl + 1) : 0;
    if (s >= 0) {
      if (from + s >= hi) return undefined;
      const e = buf.indexOf(10, s);
      if (e >= 0) return { start: from + s, end: from + e, time: peekTime(buf, s, e) };
    } else if (from + buf.length >= hi) {
      return undefined;
    }
    if (buf.length < len) return undefined; // end of file, no complete line
  }
  return undefined;
}

/**
 * A byte offset in blob from which reading forwards (and skipping entries older than since)
 * yields every entry >= since. Binary search on byte offsets, resyncing to line starts and
 * parsing only the time. Times from stdout and stderr interleave almost but not quite in
 * order, so the result backs off a little (BACK_OFF) before the boundary found.
 */
export async function seekSince(blob: Blob, since: bigint): Promise<number> {
  let lo = 0; // a line start; the lines probed before it were older than since
  let hi = blob.size;
  while (hi - lo > SPAN) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const l = await probe(blob, mid, hi);
    // A corrupt or missing probe moves left: scanning more is safe, skipping is not.
    if (l && l.time !== undefined && l.time < since) lo = l.end + 1;
    else hi = l ? l.start : mid;
  }
  return backOff(blob, lo);
}

/** The first line start at least BACK_OFF before pos (0 when pos is that close to the start). */
async function backOff(blob: Blob, pos: number): Promise<number> {
  if (pos <= BACK_OFF) return 0;
  return (await probe(blob, pos - BACK_OFF, blob.size))?.start ?? pos;
}

/** Time of the last complete entry of blob, or undefined when it has none readable. */
export async function lastTime(blob: Blob): Promise<bigint | undefined> {
  const { start, count } = await lastEntries(blob, blob.size, 1);
  return count ? (await probe(blob, start, blob.size))?.time : undefined;
}

/**
 * Where reading starts for since: files whose last entry is older are skipped whole (a .gz
 * by its header's lastTime, without decompressing it), then the first other file is searched.
 * The back-off crosses into the skipped file before when the boundary is near the start of a
 * file (or past the end of the log): its last entries may be a little out of order too.
 */
export async function sinceStart(files: readonly ChainFile[], since: bigint, warn: (w: ReadWarning) => void): Promise<Position> {
  let i = 0;
  for (; i < files.length; i++) {
    const f = files[i]!;
    const last = f.headerTime() ?? (await lastTime(await f.blob(warn)));
    if (last !== undefined && last < since) continue;
    const pos = await seekSince(await f.blob(warn), since);
    if (pos > 0 || i === 0) return { index: i, pos };
    // The boundary is near the start of this file: back off into the end of the one before.
    break;
  }
  const blob = await files[i - 1]!.blob(warn);
  return { index: i - 1, pos: await backOff(blob, blob.size) };
}
