import fluentLogger from 'fluent-logger';
import { DriverContext } from '../../engine/logs/driver';
import { LogMessage } from '../../engine/logs/message';

/** The library's EventTime class (its typings declare the export as an instance). */
export const EventTime = fluentLogger.EventTime as unknown as typeof fluentLogger.InnerEventTime;

/** A Forward event time: integer seconds, or an EventTime (ext type 0) carrying nanoseconds. */
export type ForwardTime = number | fluentLogger.InnerEventTime;
export type ForwardRecord = Record<string, string>;

const NS_PER_S = 1_000_000_000n;

/** Turns lines into Docker's fluentd records (all values strings) and their event times. */
export class RecordBuilder {
  private readonly containerId: string;
  private readonly containerName: string;

  constructor(ctx: Pick<DriverContext, 'id' | 'name'>, private readonly extra: Readonly<Record<string, string>>, private readonly subSecond: boolean) {
    this.containerId = ctx.id;
    this.containerName = `/${ctx.name}`; // Docker stores names with their leading slash
  }

  record(m: LogMessage): ForwardRecord {
    const r: ForwardRecord = { container_id: this.containerId, container_name: this.containerName, source: m.stream, log: m.line.toString('utf8') };
    for (const k in this.extra) r[k] = this.extra[k]!;
    if (m.partial) {
      r['partial_message'] = 'true';
      r['partial_id'] = m.partial.id;
      r['partial_ordinal'] = String(m.partial.ordinal);
      r['partial_last'] = String(m.partial.last);
    }
    return r;
  }

  /** The line's own time: whole seconds as Docker's default, nanoseconds with sub-second precision. */
  time(m: LogMessage): ForwardTime {
    const seconds = Number(m.time / NS_PER_S);
    // fluent-logger takes a 0 time for "now" (and then ignores the callback): send 0 as an EventTime.
    return this.subSecond || seconds === 0 ? new EventTime(seconds, Number(m.time % NS_PER_S)) : seconds;
  }
}
