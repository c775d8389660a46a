import { useEffect, useState } from 'preact/hooks';
import { getJson, openStream } from './api';
import type { AgentEvent, RowsFrame } from './types';

/** Events kept in the page; the agent keeps its own history for reloads. */
export const EVENTS_CAP = 2000;

export interface Live {
  frame: RowsFrame | null;
  events: AgentEvent[];
  connected: boolean;
}

/** Nanosecond times as decimal text: a shorter one is earlier, else text order is time order. */
const byTime = (a: AgentEvent, b: AgentEvent) =>
  a.timeNano.length - b.timeNano.length || (a.timeNano < b.timeNano ? -1 : a.timeNano > b.timeNano ? 1 : 0);

const eventKey = (e: AgentEvent) => `${e.timeNano} ${e.Actor.ID} ${e.Action}`;

/** Appends events not seen yet, oldest first, keeping the last EVENTS_CAP. */
export function mergeEvents(have: AgentEvent[], more: AgentEvent[]): AgentEvent[] {
  const seen = new Set(have.map(eventKey));
  const add = more.filter((e) => !seen.has(eventKey(e)));
  if (!add.length) return have;
  const last = have.at(-1);
  // Live events come in order: append. History (or a reconnect) may interleave: sort.
  const inOrder = add.every((e, i) => byTime(i ? add[i - 1]! : last ?? e, e) <= 0);
  const all = inOrder ? [...have, ...add] : [...have, ...add].sort(byTime);
  return all.length > EVENTS_CAP ? all.slice(all.length - EVENTS_CAP) : all;
}

/**
 * The agent's live feed, opened once for the whole page: the workload rows after every sampler
 * tick and the lifecycle events (history first, then live ones).
 */
export function useLive(enabled: boolean, onLost: () => void): Live {
  const [frame, setFrame] = useState<RowsFrame | null>(null);
  const [events, setEvents] = useState<AgentEvent[]>([]);
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    if (!enabled) return undefined;
    let closed = false;
    const close = openStream('/api/stream', {
      // On every (re)connect: the stream is open before the history is read, so no event falls
      // between the two, and events of a spell without a connection come back (duplicates merge away).
      open: () => {
        getJson<{ events: AgentEvent[] }>('/api/events')
          .then((r) => { if (!closed) setEvents((have) => mergeEvents(have, r.events)); })
          .catch(() => { /* the timeline still fills from the stream */ });
      },
      rows: (d) => { setConnected(true); setFrame(JSON.parse(d) as RowsFrame); },
      'agent-event': (d) => setEvents((have) => mergeEvents(have, [JSON.parse(d) as AgentEvent])),
    }, (gone) => { setConnected(false); if (gone && !closed) onLost(); });
    return () => { closed = true; close(); };
  }, [enabled]);

  return { frame, events, connected };
}
