import { LogReader } from '../engine/logs/reader';
import { Workload } from '../engine/workloads/supervisor';
import { JsonFileDriver } from '../drivers/json-file';
import { openJsonFileReader, liveSource, pathSource } from '../drivers/json-file/reader';
import { ApiError } from './errors';

/** The reader for a workload's own log: the live writer while it runs, the files on disk otherwise. */
export function readerFor(w: Workload, logPath: string): { reader: LogReader; live: boolean } {
  if (!logPath) {
    const types = w.spec.logConfigs.map((c) => c.type).join(', ');
    throw new ApiError(501, `configured logging driver "${types}" does not support reading (its local cache is disabled: cache-disabled=true)`);
  }
  const live = w.liveDrivers().find((d): d is JsonFileDriver => d instanceof JsonFileDriver);
  if (live) return { reader: openJsonFileReader(liveSource(live.file)), live: true };
  return { reader: openJsonFileReader(pathSource(logPath)), live: false };
}
