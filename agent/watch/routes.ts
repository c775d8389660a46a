import { LogReader } from '../../engine/logs/reader';
import { openJsonFileReader, pathSource } from '../../drivers/json-file/reader';
import { ApiServer } from '../api/server';
import { ApiError, notFound } from '../errors';
import { WorkloadManager } from '../manager';
import { streamLog } from '../routes';
import { WatchedWorkload } from './entry';
import { Watcher } from './index';
import { readOnlyMessage } from './message';

/**
 * A route pattern that matches only when its ref names a watched workload, so that every other
 * ref falls through to corral's own routes (the server takes the first pattern that matches).
 */
class WatchedRef extends RegExp {
  constructor(pattern: RegExp, private readonly isWatched: (ref: string) => boolean) {
    super(pattern.source, pattern.flags);
  }

  override exec(text: string): RegExpExecArray | null {
    const m = super.exec(text);
    try {
      return m && this.isWatched(decodeURIComponent(m[1] ?? '')) ? m : null;
    } catch {
      return null; // a malformed escape: corral's routes answer it
    }
  }
}

/** Corral's own workloads win: a ref that names one (or is ambiguous among them) is never a watched one. */
function corralHas(m: WorkloadManager, ref: string): boolean {
  try {
    m.get(ref);
    return true;
  } catch (e) {
    return !(e instanceof ApiError && e.status === 404);
  }
}

/** `logs -f` of a watched container ends when a rescan finds it stopped, as `docker logs -f` does. */
function endingWith(reader: LogReader, ended: AbortSignal): LogReader {
  return { read: (o, signal, warn) => reader.read(o, o.follow ? AbortSignal.any([signal, ended]) : signal, warn) };
}

/** A small `inspect` of a watched workload: what discovery knows, in Docker's field names. */
function inspectWatched(w: WatchedWorkload) {
  const d = w.info;
  return {
    Id: d.id, Name: `/${d.name}`, Source: d.source, ReadOnly: true,
    State: {
      Status: d.state, Running: d.state === 'running', Pid: d.pid, OOMKilled: d.oomKillCount > 0,
      StartedAt: d.startedAt ? new Date(d.startedAt * 1000).toISOString() : '0001-01-01T00:00:00Z',
    },
    RestartCount: d.restartCount, Config: { Labels: d.labels }, LogPath: d.logPath, CgroupPath: d.cgroupPath,
  };
}

/**
 * The API for watched workloads, registered before corral's own: inspect and logs work, every
 * verb that would change one is refused (403) with the same message.
 */
export function registerWatchRoutes(api: ApiServer, watcher: Watcher, m: WorkloadManager): void {
  const find = (ref: string) => (corralHas(m, ref) ? undefined : watcher.find(ref));
  const only = (re: RegExp) => new WatchedRef(re, (ref) => find(ref) !== undefined);
  const get = (ref: string) => {
    const w = find(ref);
    if (!w) throw notFound(ref); // gone between matching and handling
    return w;
  };
  const refuse = async (_q: unknown, _r: unknown, { ref }: { ref: string }) => {
    throw new ApiError(403, readOnlyMessage(get(ref).info.name));
  };
  api
    .route('GET', only(/^\/workloads\/([^/]+)$/), async (_q, _r, { ref }) => inspectWatched(get(ref)))
    .route('GET', only(/^\/workloads\/([^/]+)\/logs$/), async (req, res, { ref, query }) => {
      const w = get(ref);
      if (!w.info.logPath) throw new ApiError(501, w.info.logNote);
      return streamLog(req, res, query, endingWith(openJsonFileReader(pathSource(w.info.logPath)), w.ended), w.running);
    })
    .route('POST', only(/^\/workloads\/([^/]+)\/[^/]+$/), refuse)
    .route('DELETE', only(/^\/workloads\/([^/]+)$/), refuse);
}
