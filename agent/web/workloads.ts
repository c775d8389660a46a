import { LogReader } from '../../engine/logs/reader';
import { Workload } from '../../engine/workloads/supervisor';
import { openJsonFileReader, pathSource } from '../../drivers/json-file/reader';
import { ApiError, notFound } from '../errors';
import { readerFor } from '../logs';
import { WorkloadManager } from '../manager';
import { restartsUnderWay } from '../routes';
import { Watcher } from '../watch';

/** A workload the page names, corral's own or watched, with what the page may do with it. */
export interface Named {
  id: string;
  name: string;
  readOnly: boolean;
  /** Running now (a follow waits for this after a stop). */
  running(): boolean;
  /** Not running, and nothing will start it again by itself (restart policy, a restart under way): a follow ends. */
  ended(): boolean;
  /** Its log: `live` when the reader can follow it. Throws 501 when there is no local log to read. */
  log(): { reader: LogReader; live: boolean };
  /** Corral's own only. */
  workload?: Workload;
}

/** Resolves refs as the unix-socket API does: corral's own workloads first, then watched ones. */
export class WorkloadFinder {
  constructor(private readonly m: WorkloadManager, private readonly watcher: Watcher) {}

  find(ref: string): Named {
    let own: Workload | undefined;
    try {
      own = this.m.get(ref);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
    if (own) {
      const w = own;
      return {
        id: w.spec.id, name: w.spec.name, readOnly: false, workload: w,
        running: () => w.running,
        ended: () => !w.running && w.state.status !== 'restarting' && !restartsUnderWay.has(w),
        log: () => readerFor(w, this.m.logPath(w)),
      };
    }
    const watched = this.watcher.find(ref);
    if (!watched) throw notFound(ref);
    return {
      id: watched.info.id, name: watched.info.name, readOnly: true,
      running: () => watched.running,
      ended: () => false, // its restart policy is not ours to know: followed until removed
      log: () => {
        if (!watched.info.logPath) throw new ApiError(501, watched.info.logNote);
        const reader = openJsonFileReader(pathSource(watched.info.logPath));
        // A follow ends when a rescan finds the container stopped, as `docker logs -f` does.
        const ended = watched.ended;
        return {
          reader: { read: (o, signal, warn) => reader.read(o, o.follow ? AbortSignal.any([signal, ended]) : signal, warn) },
          live: watched.running,
        };
      },
    };
  }
}
