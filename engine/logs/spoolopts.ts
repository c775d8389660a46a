import * as path from 'node:path';
import { OptionError } from './driver';
import { fromHumanSize } from '../units';

/** `spool-dir` / `spool-max-size`: where a remote outlet keeps what its memory buffer cannot hold. */
export interface SpoolConfig {
  /** An absolute folder, or `default` (`<data-root>/spool`); the spool itself is `<dir>/<workload-id>/<driver>/`. */
  dir: string;
  maxBytes: number;
}

export const SPOOL_OPTS = ['spool-dir', 'spool-max-size'] as const;
const DEFAULT_MAX = 1_000_000_000; // 1g (decimal, as max-size)
// Room for a few of the largest messages (a 16 KiB chunk of a line, its headers and a segment's):
// a pipe chunk larger than the room left goes in parts (Spool.appendSome), so any size from here takes lines.
const MIN_MAX = 64_000;

/**
 * Takes the spool options out of a driver's options (removing them from `rest`). Only drivers
 * whose server can be down have a spool (`spooled`: the remote ones, and journald): a local file
 * needs no second file in front of it.
 */
export function splitSpoolOptions(rest: Record<string, string>, driver: string, spooled: boolean): SpoolConfig | undefined {
  const dirText = rest['spool-dir'];
  const sizeText = rest['spool-max-size'];
  delete rest['spool-dir'];
  delete rest['spool-max-size'];
  if (dirText === undefined && sizeText === undefined) return undefined;
  const key = dirText !== undefined ? 'spool-dir' : 'spool-max-size';
  if (!spooled) throw new OptionError(`log opt ${key} is only supported by remote log drivers and journald (syslog, fluentd, awslogs, mongodb, journald), not ${driver}`);
  if (dirText === undefined) throw new OptionError('log opt spool-max-size needs spool-dir (an absolute path, or default for <data-root>/spool)');
  if (dirText !== 'default' && (!path.isAbsolute(dirText) || dirText.includes('\0'))) {
    throw new OptionError(`invalid value "${dirText}" for log opt spool-dir: expected an absolute path, or default for <data-root>/spool`);
  }
  let maxBytes = DEFAULT_MAX;
  if (sizeText !== undefined) {
    const n = fromHumanSize(sizeText);
    if (n === undefined || n < MIN_MAX) {
      throw new OptionError(`invalid value "${sizeText}" for log opt spool-max-size: expected a size of at least 64k like 500m or 2g (decimal units)`);
    }
    maxBytes = n;
  }
  return { dir: dirText === 'default' ? 'default' : path.resolve(dirText), maxBytes };
}

/** The spool folder of one workload's driver. */
export function spoolDirOf(c: SpoolConfig, dataRootSpool: string, workloadId: string, driver: string): string {
  return path.join(c.dir === 'default' ? dataRootSpool : c.dir, workloadId, driver);
}
