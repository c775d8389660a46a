/** A lifecycle event, in Docker's events shape (Type is always "container" here). */
export interface AgentEvent {
  Type: 'container';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: string;
}

export interface EventFilter { since?: bigint; until?: bigint; filters: Record<string, string[]> }

const KEEP = 1024;

/**
 * The agent's event stream: the most recent events kept in memory for `--since`, and live
 * subscribers for `corral events`. One instance, built in the daemon and passed down.
 */
export class EventLog {
  private readonly recent: AgentEvent[] = [];
  private readonly subscribers = new Set<(e: AgentEvent) => void>();

  emit(action: string, id: string, attributes: Record<string, string>, nowNs: bigint): AgentEvent {
    const e: AgentEvent = {
      Type: 'container', Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local',
      time: Number(nowNs / 1_000_000_000n), timeNano: nowNs.toString(),
    };
    this.recent.push(e);
    if (this.recent.length > KEEP) this.recent.shift();
    for (const s of this.subscribers) s(e);
    return e;
  }

  history(f: EventFilter): AgentEvent[] {
    return this.recent.filter((e) => matches(e, f));
  }

  subscribe(fn: (e: AgentEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

/** Docker's filter keys: event, container (id, id prefix or name), type, label (k or k=v); and host (the agent's --hostname). */
export function matches(e: AgentEvent, f: EventFilter): boolean {
  const t = BigInt(e.timeNano);
  if (f.since !== undefined && t < f.since) return false;
  if (f.until !== undefined && t > f.until) return false;
  const any = (key: string, test: (v: string) => boolean) => !f.filters[key]?.length || f.filters[key]!.some(test);
  const attrs = e.Actor.Attributes;
  return any('event', (v) => v === e.Action)
    && any('type', (v) => v === e.Type)
    && any('container', (v) => e.Actor.ID.startsWith(v) || attrs['name'] === v)
    && any('host', (v) => attrs['host'] === v)
    && any('label', (v) => { const i = v.indexOf('='); return i < 0 ? v in attrs : attrs[v.slice(0, i)] === v.slice(i + 1); });
}

export const FILTER_KEYS = ['event', 'container', 'type', 'label', 'host'];
