import { useMemo, useState } from 'preact/hooks';
import { clock, shortId } from '../format';
import { hrefOf } from '../route';
import type { AgentEvent } from '../types';
import { VirtualList } from '../virtual';

/** How an action is coloured on the timeline. */
function kind(action: string): string {
  if (action === 'oom' || action.startsWith('health_status: unhealthy')) return 'bad';
  if (action === 'die' || action === 'kill' || action === 'stop') return 'warn';
  if (action === 'start' || action === 'restart' || action === 'create') return 'good';
  return 'info';
}

const msOf = (e: AgentEvent) => Number(BigInt(e.timeNano) / 1_000_000n);
const nameOf = (e: AgentEvent) => e.Actor.Attributes['name'] ?? shortId(e.Actor.ID);

function detail(e: AgentEvent): string {
  const a = e.Actor.Attributes;
  const parts: string[] = [];
  if (a['exitCode'] !== undefined) parts.push(`exit code ${a['exitCode']}`);
  if (a['signal']) parts.push(`signal ${a['signal']}`);
  if (a['source'] && a['source'] !== 'corral') parts.push(a['source']);
  return parts.join(', ');
}

const ROW_HEIGHT = 28;

/** Newest first, one line per event: time, action, workload. */
export function EventList({ events, compact }: { events: AgentEvent[]; compact?: boolean }) {
  const newest = useMemo(() => [...events].reverse(), [events]);
  const row = (i: number) => {
    const e = newest[i]!;
    const when = msOf(e);
    return (
      <div class={`event ${kind(e.Action)}`} data-testid="event" data-action={e.Action}>
        <span class="dot" />
        <time dateTime={new Date(when).toISOString()} title={new Date(when).toString()}><span class="date">{new Date(when).toLocaleDateString()} </span>{clock(when)}</time>
        <span class="action">{e.Action}</span>
        <a href={hrefOf({ view: 'workload', ref: e.Actor.ID })} class="wname">{nameOf(e)}</a>
        <span class="muted ev-detail" title={detail(e)}>{detail(e)}</span>
      </div>
    );
  };
  return (
    <VirtualList
      count={newest.length} rowHeight={ROW_HEIGHT} row={row} testid="event-list" class={`events ${compact ? 'compact' : ''}`}
      empty="No events yet."
    />
  );
}

const SPAN_MS = 15 * 60 * 1000;

/** The last 15 minutes as a strip: one mark per event, coloured by kind. */
function Strip({ recent, now }: { recent: AgentEvent[]; now: number }) {
  return (
    <svg class="strip" viewBox="0 0 1000 40" preserveAspectRatio="none" data-testid="event-strip" role="img" aria-label="events of the last 15 minutes">
      <line x1="0" y1="20" x2="1000" y2="20" class="axis" />
      {recent.slice(-500).map((e) => {
        const x = ((msOf(e) - (now - SPAN_MS)) / SPAN_MS) * 1000;
        return <rect x={x - 1.5} y={kind(e.Action) === 'bad' ? 4 : 10} width="3" height={kind(e.Action) === 'bad' ? 32 : 20} class={kind(e.Action)}><title>{`${clock(msOf(e))} ${e.Action} ${nameOf(e)}`}</title></rect>;
      })}
    </svg>
  );
}

export function EventsView({ events, now }: { events: AgentEvent[]; now: number }) {
  const [filter, setFilter] = useState('');
  const [action, setAction] = useState('');
  const actions = useMemo(() => [...new Set(events.map((e) => e.Action))].sort(), [events]);
  const shown = useMemo(() => {
    const t = filter.trim().toLowerCase();
    return events.filter((e) => (!action || e.Action === action) && (!t || nameOf(e).toLowerCase().includes(t) || e.Actor.ID.startsWith(t)));
  }, [events, filter, action]);
  const recent = useMemo(() => shown.filter((e) => msOf(e) >= now - SPAN_MS), [shown, now]);
  return (
    <section class="events-view">
      <div class="toolbar">
        <input type="search" placeholder="Filter by workload" value={filter} data-testid="event-filter" onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <select value={action} data-testid="event-action" onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
          <option value="">all events</option>
          {actions.map((a) => <option value={a}>{a}</option>)}
        </select>
        <span class="muted" data-testid="event-count">{shown.length} events · {recent.length} in the last 15 minutes:</span>
      </div>
      <Strip recent={recent} now={now} />
      <EventList events={shown} />
    </section>
  );
}
