import * as fs from 'node:fs';
import * as path from 'node:path';
import { SEGMENT_MAGIC, validLength } from './spoolformat';
import { SegmentFiles } from './spoolsegments';

/**
 * What a spool folder holds besides its segments, and reading it back when a spool is opened:
 * the segment list, a torn tail cut, the saved read position (`cursor`), the owner (`meta.json`).
 */

/** A read position: segment, byte offset of a record in it, index of a message in that record. */
export interface Position { seq: number; off: number; idx: number }

const SEG = /^(\d{16})\.seg$/;
const CURSOR = 'cursor';
const META = 'meta.json';

/**
 * Reads what a previous agent left in files.dir: the segments, the last one checked record by
 * record (only it can hold a torn write: the others were fsynced when they were finished) and cut
 * after its last intact record, and the saved read position. Throws only when the folder is unusable.
 */
export function recover(files: SegmentFiles, warn: (text: string) => void): Position {
  const dir = files.dir;
  const found = fs.readdirSync(dir).map((n) => SEG.exec(n)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
  for (const seq of found) files.addFound(seq, fs.statSync(files.file(seq)).size);
  const last = files.last;
  if (last !== undefined) {
    const bytes = fs.readFileSync(files.file(last));
    const intact = validLength(bytes); // checksums the whole segment: once
    const valid = Math.max(intact, SEGMENT_MAGIC.length);
    if (valid < bytes.length) {
      warn(`spool ${dir}: segment ${last}: cut ${bytes.length - valid} bytes of a torn or corrupt tail after the last intact record`);
      if (intact === 0) fs.writeFileSync(files.file(last), SEGMENT_MAGIC);
      else fs.truncateSync(files.file(last), valid);
      files.cutLast(valid);
    }
    files.openLast();
  }
  return loadCursor(files, warn);
}

function loadCursor(files: SegmentFiles, warn: (text: string) => void): Position {
  const first = files.first;
  const start = { seq: first ?? 1, off: SEGMENT_MAGIC.length, idx: 0 };
  let text: string;
  try { text = fs.readFileSync(path.join(files.dir, CURSOR), 'utf8'); } catch { return start; }
  const [seq, off, idx] = text.trim().split(' ').map(Number);
  if (first === undefined) return start;
  // Older than the first segment: that one was delivered and deleted after the position was saved.
  if (Number.isSafeInteger(seq) && seq! < first) return start;
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(off) || !Number.isSafeInteger(idx) || !files.has(seq!) || off! < SEGMENT_MAGIC.length || off! > files.sizeOf(seq!)!) {
    warn(`spool ${files.dir}: read position unreadable or stale ("${text.trim()}"): sending from the first segment`);
    return start;
  }
  return { seq: seq!, off: off!, idx: idx! };
}

/** Saves the read position; throws when it cannot be written. */
export function saveCursor(dir: string, p: Position): void {
  fs.writeFileSync(path.join(dir, CURSOR), `${p.seq} ${p.off} ${p.idx}\n`);
}

export function removeCursor(dir: string): void {
  try { fs.unlinkSync(path.join(dir, CURSOR)); } catch { /* none yet */ }
}

export function writeSpoolMeta(dir: string, meta: unknown): void {
  fs.writeFileSync(path.join(dir, META), JSON.stringify(meta), { mode: 0o600 });
}

/** Removes a spool folder with no segments left (and its workload's folder if that is empty now); kept when not empty. */
export function removeEmptySpool(dir: string): void {
  try { fs.rmSync(path.join(dir, CURSOR), { force: true }); fs.rmSync(path.join(dir, META), { force: true }); fs.rmdirSync(dir); fs.rmdirSync(path.dirname(dir)); } catch { /* not empty: kept */ }
}

/** What `meta` the spool in dir was opened with; undefined when there is none or it is unreadable. */
export function readSpoolMeta(dir: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, META), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether dir holds segment files (lines an earlier agent left); false when it does not exist. */
export function spoolHasData(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((n) => SEG.test(n));
  } catch {
    return false;
  }
}
