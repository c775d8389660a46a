import { ReadWarning } from '../../../engine/logs/reader';
import { ChainFile } from './chainfile';

/**
 * What a follower learns about the file it holds, looked at *before* draining it: once it is
 * 'complete' (rotated away) or 'ended' (the writer closed), reading its fd to the end gets all of it.
 * 'truncated': cut shorter than what was read (copytruncate), start it over.
 */
export type FileState = 'live' | 'complete' | 'ended' | 'truncated';

/** Where a json-file log's files come from: a live writer, or a path on disk. */
export interface ChainSource {
  /** Opens every file of the log in one synchronous step, oldest first; the last is the current file. */
  open(): ChainFile[];
  /** Calls wake on every change a follower may care about, fail if that stops working; returns the unsubscribe. */
  watch(wake: () => void, fail: (e: Error) => void): () => void;
  state(held: ChainFile, readPos: number): FileState;
  /**
   * The file after held (which is complete and fully read), opened; 'wait' when it is not
   * there yet, 'end' when there is none. Entries lost in between are reported through warn.
   */
  next(held: ChainFile, lastTime: bigint | undefined, warn: (w: ReadWarning) => void): ChainFile | 'wait' | 'end';
}

export function missed(count: number | undefined): ReadWarning {
  return count === undefined
    ? { kind: 'missed', text: 'log files were rotated away before this reader got to them: some entries were missed (how many is unknown)' }
    : { kind: 'missed', count, text: `${count} entries were rotated away before this reader got to them` };
}
