import { sleep } from '../../engine/logs/backoff';
import { LogMessage } from '../../engine/logs/message';
import { LogReader, ReadOptions, ReadWarning } from '../../engine/logs/reader';
import { decodeEntry, entrySequence, JournalJson } from './decode';
import { F } from './entry';
import { JournalLocation, atTime, journalEntries } from './journalctl';

/** How long a follower keeps reading after the writer closed, for entries journald has not stored yet. */
const DRAIN_MS = 5_000;
/** A follow's journalctl that exits on its own is started again after RESTART_MS, up to FOLLOW_RESTARTS times in a row without an entry. */
const RESTART_MS = 200;
const FOLLOW_RESTARTS = 5;

export interface JournalSource extends JournalLocation {
  /** The workload's full id: entries are matched on CONTAINER_ID_FULL. */
  id: string;
  /**
   * The live driver's end (epoch and last ordinal journald took): a follower ends once it has
   * read that entry (or DRAIN_MS after the writer closed). Without it a follower runs until aborted.
   */
  ended?: Promise<{ epoch: string; ordinal: number }>;
}

/**
 * Reads a workload's lines back from the journal through `journalctl -o json`, as Docker's
 * journald reader does through sd-journal: matched on CONTAINER_ID_FULL, in journal order.
 * --since narrows the journal's own time match (an entry is received after the line was written,
 * so nothing in range is missed), then since/until are matched exactly on the line's own time.
 * Following is `journalctl -f` from the cursor where the history ended, so it carries on across
 * journal file rotation and vacuuming. It starts at the cursor (`--cursor`, skipping that entry
 * when it is still there), not after it: journalctl's `--after-cursor` skips one entry more than
 * the cursor's, so when the file holding the cursor's entry was vacuumed in between (a history
 * read slowly), the first entry after it would be lost. A follow's journalctl that exits on its
 * own is started again the same way from the last entry read.
 */
export class JournalReader implements LogReader {
  constructor(private readonly src: JournalSource) {}

  async *read(o: ReadOptions, signal: AbortSignal, onWarning?: (w: ReadWarning) => void): AsyncIterable<LogMessage> {
    const match = `${F.idFull}=${this.src.id}`;
    const sinceArgs = o.since !== undefined ? ['--since', atTime(o.since)] : [];
    const inRange = (m: LogMessage) => (o.since === undefined || m.time >= o.since) && (o.until === undefined || m.time <= o.until);
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    let pastUntil = false;
    const decode = (e: JournalJson & { __CURSOR?: string }): LogMessage | undefined => {
      if (typeof e.__CURSOR === 'string') cursor = e.__CURSOR;
      const seq = entrySequence(e);
      if (seq && (seen.get(seq.epoch) ?? 0) < seq.ordinal) seen.set(seq.epoch, seq.ordinal);
      const m = decodeEntry(e);
      if (!m) onWarning?.({ kind: 'corrupt', text: `skipped a journal entry without a MESSAGE or time (cursor ${cursor ?? '?'})` });
      else if (o.until !== undefined && m.time > o.until) pastUntil = true;
      return m;
    };

    // History.
    const tail = o.tail !== undefined && o.tail >= 0 ? o.tail : undefined;
    if (tail === 0) {
      for await (const e of journalEntries(this.src, ['-n', '1', match], signal)) decode(e);
    } else if (tail !== undefined && o.since === undefined && o.until === undefined) {
      for await (const e of journalEntries(this.src, ['-n', String(tail), match], signal)) { const m = decode(e); if (m) yield m; }
    } else {
      // An exact tail inside since/until: the journal's -n counts entries outside the range too.
      const ring: LogMessage[] = [];
      for await (const e of journalEntries(this.src, [...sinceArgs, match], signal)) {
        const m = decode(e);
        if (!m || !inRange(m)) continue;
        if (tail === undefined) { yield m; continue; }
        ring.push(m);
        if (ring.length > tail) ring.shift();
      }
      yield* ring;
    }
    if (!o.follow || signal.aborted || pastUntil || (o.until !== undefined && nowNs() > o.until)) return;

    // Follow, until the writer's last entry was read, until passed, or the caller aborts.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let end: { epoch: string; ordinal: number } | undefined;
    const timers: NodeJS.Timeout[] = [];
    const caughtUp = () => end !== undefined && (seen.get(end.epoch) ?? 0) >= end.ordinal;
    void this.src.ended?.then((e) => {
      end = e;
      if (caughtUp()) stop.abort();
      else timers.push(setTimeout(() => stop.abort(), DRAIN_MS));
    });
    const untilMs = o.until === undefined ? undefined : Math.max(0, Number((o.until - nowNs()) / 1_000_000n)) + 1;
    // A timer past 2^31-1 ms would fire at once; such an until only ends by an entry after it.
    if (untilMs !== undefined && untilMs < 2 ** 31 - 1) timers.push(setTimeout(() => stop.abort(), untilMs));
    // journalctl -f that exits on its own (killed, or its journal went away) is started again from
    // the cursor; one that keeps exiting without an entry is an error, not a quiet end.
    let quiet = 0;
    try {
      follow: while (!stop.signal.aborted) {
        let from = cursor;
        const args = ['-f', ...(from ? [`--cursor=${from}`] : ['--no-tail', ...sinceArgs]), match];
        let n = 0;
        let failed: unknown;
        try {
          for await (const e of journalEntries(this.src, args, stop.signal)) {
            if (from !== undefined) {
              const again = e.__CURSOR === from; // the last entry read, when its file is still there
              from = undefined;
              if (again) continue;
            }
            n++;
            const m = decode(e);
            if (pastUntil) break follow;
            if (m && inRange(m)) yield m;
            if (caughtUp()) break follow;
          }
        } catch (e) {
          failed = e; // journalctl failed before an entry (killed early, say): as good as an exit
        }
        if (stop.signal.aborted) break;
        quiet = n ? 0 : quiet + 1;
        if (quiet >= FOLLOW_RESTARTS) {
          throw failed ?? new Error(`journalctl -f exited ${FOLLOW_RESTARTS} times in a row without an entry; the follow of ${this.src.id.slice(0, 12)} stops`);
        }
        await sleep(RESTART_MS, stop.signal);
      }
    } finally {
      for (const t of timers) clearTimeout(t);
      signal.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

export function openJournalReader(src: JournalSource): JournalReader {
  return new JournalReader(src);
}
