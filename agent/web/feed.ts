import { Sampler, Snapshot } from '../../engine/snapshot';
import { TopRow, topRows } from '../view/rows';
import { SampleHistory } from './history';

/** A row of the page's workload list: `corral top`'s row, and whether the page may act on it. */
export type WebRow = TopRow & { readOnly: boolean };

export interface RowsFrame { t: number; rows: WebRow[] }

const rowsOf = (now: Snapshot, before: Snapshot | undefined): RowsFrame => ({
  t: Number(now.time / 1_000_000n),
  rows: topRows(now, before).map((r) => ({ ...r, readOnly: r.source !== 'corral' })),
});

/**
 * The sampler's ticks as the page sees them: rows computed (and JSON-encoded) once per tick
 * for every open page, and pushed into the 15-minute history whether a page is open or not.
 */
export class RowsFeed {
  private latestFrame: RowsFrame | undefined;
  private latestJson: string | undefined;
  private readonly listeners = new Set<(json: string) => void>();
  private readonly off: () => void;

  constructor(private readonly sampler: Sampler, readonly history: SampleHistory) {
    const now = sampler.latest();
    if (now) this.take(now, sampler.previous());
    this.off = sampler.subscribe((s) => this.take(s, this.sampler.previous()));
  }

  /** The latest frame as JSON (computed now if no tick has come yet). */
  current(): string {
    if (this.latestJson !== undefined) return this.latestJson;
    if (this.latestFrame) return (this.latestJson = JSON.stringify(this.latestFrame));
    const now = this.sampler.latest();
    return now ? JSON.stringify(rowsOf(now, this.sampler.previous())) : JSON.stringify({ t: Date.now(), rows: [] });
  }

  /** fn gets each new frame's JSON; returns the unsubscribe function. */
  subscribe(fn: (json: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  stop(): void {
    this.off();
    this.listeners.clear();
  }

  private take(now: Snapshot, before: Snapshot | undefined): void {
    const frame = rowsOf(now, before);
    this.history.push(frame.t, frame.rows);
    // Encoded only when a page is there to read it (the history needs the rows, not the JSON).
    this.latestFrame = frame;
    this.latestJson = undefined;
    if (!this.listeners.size) return;
    const json = this.current();
    for (const fn of this.listeners) fn(json);
  }
}
