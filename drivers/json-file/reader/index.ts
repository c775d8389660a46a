import { LogReader } from '../../../engine/logs/reader';
import { LogFile } from '../logfile';
import { LiveSource } from './live-source';
import { PathSource } from './path-source';
import { JsonFileReader } from './reader';
import { ChainSource } from './source';

export { JsonFileReader } from './reader';
export { ChainSource } from './source';
export { decodeEntry, peekTime, Entry } from './decode';

/** This agent's own writer: follows through its events, exact about entries lost to rotation. */
export function liveSource(file: LogFile): ChainSource {
  return new LiveSource(file);
}

/**
 * A log known by its path only: any Docker json-file log, or ours after an agent restart.
 * Rotated siblings are found in its directory; following wakes on fs.watch and never ends
 * by itself (no writer to say it closed): abort the signal.
 */
export function pathSource(file: string): ChainSource {
  return new PathSource(file);
}

/** A LogReader over a json-file log: `openJsonFileReader(liveSource(lf))` or `openJsonFileReader(pathSource(p))`. */
export function openJsonFileReader(source: ChainSource): LogReader {
  return new JsonFileReader(source);
}
