import * as fs from 'node:fs';
import { LogReader } from '../engine/logs/reader';
import { Workload } from '../engine/workloads/supervisor';
import { JsonFileDriver } from '../drivers/json-file';
import { openJsonFileReader, liveSource, pathSource } from '../drivers/json-file/reader';
import { JournaldDriver } from '../drivers/journald';
import { DEFAULT_SOCKET } from '../drivers/journald/options';
import { openJournalReader } from '../drivers/journald/reader';
import { journalListening } from '../drivers/journald/socket';
import { ApiError } from './errors';

/** The reader for a workload's own log: the live writer while it runs, the files on disk otherwise. */
export function readerFor(w: Workload, logPath: string): { reader: LogReader; live: boolean } {
  const journal = journalReaderFor(w, logPath);
  if (journal) return journal;
  if (!logPath) {
    const types = w.spec.logConfigs.map((c) => c.type).join(', ');
    // Docker's own message for `logs` with the none driver, and why.
    if (types === 'none') throw new ApiError(501, 'configured logging driver does not support reading: the none driver keeps no log');
    throw new ApiError(501, `configured logging driver "${types}" does not support reading (its local cache is disabled: cache-disabled=true)`);
  }
  const live = w.liveDrivers().find((d): d is JsonFileDriver => d instanceof JsonFileDriver);
  if (live) return { reader: openJsonFileReader(liveSource(live.file)), live: true };
  return { reader: openJsonFileReader(pathSource(logPath)), live: false };
}

/**
 * A journald workload (without json-file beside it) is read from the journal, as Docker does;
 * only a run that fell back to the local cache (journald-require=false, no journald) is read
 * from that cache, while it runs or while journald is still not there.
 */
function journalReaderFor(w: Workload, logPath: string): { reader: LogReader; live: boolean } | undefined {
  const config = w.spec.logConfigs.find((c) => c.type === 'journald');
  if (!config || w.spec.logConfigs.some((c) => c.type === 'json-file')) return undefined;
  const drivers = w.liveDrivers();
  const cache = drivers.find((d): d is JsonFileDriver => d instanceof JsonFileDriver);
  if (cache) return { reader: openJsonFileReader(liveSource(cache.file)), live: true };
  const writer = drivers.find((d): d is JournaldDriver => d instanceof JournaldDriver);
  if (!writer && logPath && fs.existsSync(logPath) && !journalListening(config.config['journald-socket'] || DEFAULT_SOCKET)) {
    return { reader: openJsonFileReader(pathSource(logPath)), live: false };
  }
  return { reader: openJournalReader({ id: w.spec.id, ended: writer?.ended }), live: writer !== undefined };
}
