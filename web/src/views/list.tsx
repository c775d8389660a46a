import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { bytes, count, duration, memLimitOf, pct, rate } from '../format';
import { hrefOf } from '../route';
import type { Row } from '../types';
import { VirtualList } from '../virtual';

type SortKey = 'name' | 'state' | 'cpu' | 'cpuLimit' | 'mem' | 'throttled' | 'oom' | 'restarts' | 'pids' | 'io' | 'uptime';

interface Column { key: SortKey; title: string; cls?: string; cell: (r: Row) => ComponentChildren; value: (r: Row) => number | string }

const live = (r: Row) => r.state === 'running' || r.state === 'restarting';

function memCell(r: Row) {
  const used = r.memUsage;
  const limit = memLimitOf(r);
  const frac = used === null || limit === null ? 0 : Math.min(1, used / limit);
  return (
    <span class="mem" data-testid="mem">
      {/* the bar is the share of its own limit: without one it stays empty (kept for the column's alignment) */}
      <span class={`bar ${limit === null ? 'none' : ''}`} title={limit === null ? 'no memory limit of its own' : pct(r.memPercent)}><span style={{ width: `${(frac * 100).toFixed(1)}%` }} class={frac > 0.9 ? 'hot' : ''} /></span>
      {bytes(used)} / {bytes(limit)}
    </span>
  );
}

const COLUMNS: Column[] = [
  { key: 'state', title: 'State', cell: (r) => <span class={`state ${r.state}`}>{r.state}</span>, value: (r) => r.state },
  { key: 'cpu', title: 'CPU %', cls: 'num', cell: (r) => pct(r.cpuPercent), value: (r) => r.cpuPercent ?? -1 },
  { key: 'cpuLimit', title: '% of limit', cls: 'num', cell: (r) => pct(r.cpuOfLimitPercent), value: (r) => r.cpuOfLimitPercent ?? -1 },
  { key: 'mem', title: 'Memory used / limit', cell: memCell, value: (r) => r.memUsage ?? -1 },
  { key: 'throttled', title: 'Throttled', cls: 'num', cell: (r) => pct(r.throttledPercent), value: (r) => r.throttledPercent ?? -1 },
  { key: 'oom', title: 'OOM kills', cls: 'num', cell: (r) => <span class={r.oomKills ? 'warn' : ''}>{r.oomKills}</span>, value: (r) => r.oomKills },
  { key: 'restarts', title: 'Restarts', cls: 'num', cell: (r) => r.restarts, value: (r) => r.restarts },
  { key: 'pids', title: 'PIDs', cls: 'num', cell: (r) => `${count(r.pids)}${r.pidsLimit ? `/${r.pidsLimit}` : ''}`, value: (r) => r.pids ?? -1 },
  { key: 'io', title: 'I/O read / write', cls: 'num', cell: (r) => `${rate(r.readRate)} / ${rate(r.writeRate)}`, value: (r) => (r.readRate ?? 0) + (r.writeRate ?? 0) },
  { key: 'uptime', title: 'Uptime', cls: 'num', cell: (r) => duration(r.uptime), value: (r) => r.uptime ?? -1 },
];

const NAME: Column = { key: 'name', title: 'Name', cell: () => null, value: (r) => r.name };

/** Sorted copy; ties keep name order so rows don't jump between ticks. */
export function sortRows(rows: Row[], key: SortKey, desc: boolean): Row[] {
  const col = [NAME, ...COLUMNS].find((c) => c.key === key) ?? NAME;
  return [...rows].sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    const c = typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number);
    return (desc ? -c : c) || a.name.localeCompare(b.name);
  });
}

/** Rows whose name, id or source contains the text (case-insensitive); exited ones only when asked. */
export function filterRows(rows: Row[], text: string, all: boolean): Row[] {
  const t = text.trim().toLowerCase();
  return rows.filter((r) => (all || live(r)) && (!t || r.name.toLowerCase().includes(t) || r.id.startsWith(t) || r.source.toLowerCase() === t));
}

const ROW_HEIGHT = 30;

export function ListView({ rows }: { rows: Row[] | null }) {
  const [filter, setFilter] = useState(() => sessionStorage.getItem('corral.filter') ?? '');
  const [all, setAll] = useState(() => sessionStorage.getItem('corral.all') === '1');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'cpu', desc: true });
  const shown = useMemo(() => sortRows(filterRows(rows ?? [], filter, all), sort.key, sort.desc), [rows, filter, all, sort]);

  // A second click on the same column flips the order; numbers start with the largest.
  const toggle = (key: SortKey) => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== 'name' && key !== 'state' }));
  const header = (c: Column) => (
    <div
      class={`th ${c.cls ?? ''} ${sort.key === c.key ? 'sorted' : ''}`} data-testid={`sort-${c.key}`} role="columnheader"
      aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
      tabIndex={0} onClick={() => toggle(c.key)} onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(c.key); } }}
    >{c.title}{sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}</div>
  );

  const row = (i: number) => {
    const r = shown[i]!;
    return (
      <a class={`tr ${live(r) ? '' : 'exited'}`} href={hrefOf({ view: 'workload', ref: r.id })} data-testid="row" data-name={r.name} data-id={r.id}>
        <div class="td name" title={r.id}>
          <span class="wname">{r.name}</span>
          {r.source !== 'corral' ? <span class={`badge src-${r.source}`} data-testid="source-badge" title="watched: read-only">{r.source}</span> : null}
        </div>
        {COLUMNS.map((c) => <div class={`td ${c.cls ?? ''}`}>{c.cell(r)}</div>)}
      </a>
    );
  };

  return (
    <section class="list-view">
      <div class="toolbar">
        <input
          type="search" placeholder="Filter by name, id or source" value={filter} data-testid="filter" autofocus
          onInput={(e) => { const v = (e.target as HTMLInputElement).value; setFilter(v); sessionStorage.setItem('corral.filter', v); }}
        />
        <label><input type="checkbox" checked={all} data-testid="show-exited" onChange={(e) => { const v = (e.target as HTMLInputElement).checked; setAll(v); sessionStorage.setItem('corral.all', v ? '1' : ''); }} /> show exited</label>
        <span class="muted" data-testid="row-count">{rows === null ? 'loading…' : `${shown.length} of ${rows.length} workloads`}</span>
      </div>
      <div class="table">
        <div class="tr head" role="row">{header(NAME)}{COLUMNS.map(header)}</div>
        <VirtualList
          count={shown.length} rowHeight={ROW_HEIGHT} row={row} testid="workload-list" class="tbody"
          empty={rows === null ? 'Waiting for the agent…' : rows.length ? 'No workload matches.' : 'No workloads yet: corral run -d --name web -- node app.js'}
        />
      </div>
    </section>
  );
}
