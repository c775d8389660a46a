import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, post, workloadPath } from '../api';
import { bytes, count, duration, memLimitOf, pct, rate, shortId } from '../format';
import type { AgentEvent, History, Info, Row, RowsFrame, Sample } from '../types';
import { Graph } from './graph';
import { LogsPanel } from './logs';
import { EventList } from './events';

/** The sample a rows tick adds to the graphs (the same figures the agent's ring buffer keeps). */
const sampleOf = (t: number, r: Row): Sample => ({
  t, cpuPercent: r.cpuPercent, memoryBytes: r.memUsage, readBytesPerSec: r.readRate, writeBytesPerSec: r.writeRate, pids: r.pids,
});

/** The history from the agent, then one sample per tick from the stream; older than the window falls off. */
function useSamples(id: string | undefined, frame: RowsFrame | null, windowS: number) {
  const [hist, setHist] = useState<History | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!id) return undefined;
    const ac = new AbortController();
    setHist(null);
    setError('');
    getJson<History>(workloadPath(id, '/history'), ac.signal).then(setHist, (e: Error) => { if (!ac.signal.aborted) setError(e.message); });
    return () => ac.abort();
  }, [id]);
  useEffect(() => {
    const r = frame?.rows.find((x) => x.id === id);
    if (!frame || !r || !hist) return;
    const last = hist.samples.at(-1);
    if (last && last.t >= frame.t) return;
    const cutoff = frame.t - windowS * 1000;
    const samples = [...hist.samples.filter((s) => s.t >= cutoff), sampleOf(frame.t, r)];
    setHist({ ...hist, samples });
  }, [frame, hist?.id]);
  return { hist, error };
}

const constant = (n: number, v: number | null) => new Array<number | null>(n).fill(v);

function Graphs({ hist }: { hist: History }) {
  const s = hist.samples;
  const times = useMemo(() => s.map((x) => x.t / 1000), [s]);
  const col = (k: keyof Sample) => s.map((x) => x[k] as number | null);
  const n = s.length;
  const limit = { label: 'limit', stroke: '#e0a040', dash: [6, 4], points: false };
  return (
    <div class="graphs">
      <Graph
        title="CPU (100% = one core)" testid="graph-cpu" times={times} format={(v) => `${v.toFixed(v < 10 ? 1 : 0)}%`} minTop={5}
        values={[col('cpuPercent'), constant(n, hist.limits.cpuPercent)]}
        series={[{ label: 'cpu', stroke: '#4fa3ff', fill: 'rgba(79,163,255,0.12)' }, limit]}
      />
      <Graph
        title="Memory" testid="graph-mem" times={times} format={(v) => bytes(v)} minTop={1024 * 1024}
        values={[col('memoryBytes'), constant(n, hist.limits.memoryBytes)]}
        series={[{ label: 'used', stroke: '#58c98b', fill: 'rgba(88,201,139,0.12)' }, limit]}
      />
      <Graph
        title="Block I/O" testid="graph-io" times={times} format={(v) => `${bytes(v, false)}/s`} minTop={1024}
        values={[col('readBytesPerSec'), col('writeBytesPerSec')]}
        series={[{ label: 'read', stroke: '#b58cff' }, { label: 'write', stroke: '#ff7a90' }]}
      />
      <Graph
        title="PIDs" testid="graph-pids" times={times} format={(v) => String(Math.round(v))} minTop={4}
        values={[col('pids'), constant(n, hist.limits.pids)]}
        series={[{ label: 'pids', stroke: '#e6d36a' }, limit]}
      />
    </div>
  );
}

function Controls({ row }: { row: Row }) {
  const [busy, setBusy] = useState('');
  const [message, setMessage] = useState('');
  if (row.readOnly) return <span class="muted" data-testid="read-only">read-only ({row.source})</span>;
  const act = (verb: 'stop' | 'restart') => async () => {
    setBusy(verb);
    setMessage('');
    try {
      await post(workloadPath(row.id, `/${verb}`));
      setMessage(verb === 'stop' ? 'stopped' : 'restarted');
    } catch (e) {
      setMessage((e as Error).message);
    } finally {
      setBusy('');
    }
  };
  return (
    <span class="controls">
      <button data-testid="btn-stop" disabled={!!busy || (row.state !== 'running' && row.state !== 'restarting')} onClick={act('stop')}>{busy === 'stop' ? 'stopping…' : 'stop'}</button>
      <button data-testid="btn-restart" disabled={!!busy} onClick={act('restart')}>{busy === 'restart' ? 'restarting…' : 'restart'}</button>
      {message ? <span class="muted" data-testid="control-message">{message}</span> : null}
    </span>
  );
}

export function DetailView({ wref, info, frame, events }: { wref: string; info: Info; frame: RowsFrame | null; events: AgentEvent[] }) {
  const row = frame?.rows.find((r) => r.id === wref || r.name === wref || (wref.length >= 3 && r.id.startsWith(wref)));
  const { hist, error } = useSamples(row?.id, frame, info.historySeconds);
  const mine = useMemo(() => (row ? events.filter((e) => e.Actor.ID === row.id) : []), [events, row?.id]);

  if (!frame) return <section class="detail"><p class="muted">Waiting for the agent…</p></section>;
  if (!row) return <section class="detail"><p class="error" data-testid="not-found">No workload "{wref}". <a href="#/">Back to the list</a></p></section>;

  const memLimit = memLimitOf(row);
  return (
    <section class="detail" data-testid="detail" data-id={row.id}>
      <header class="detail-head">
        <a href="#/" class="muted">← workloads</a>
        <h2 data-testid="detail-name">{row.name}</h2>
        <code class="muted" title={row.id}>{shortId(row.id)}</code>
        <span class={`state ${row.state}`} data-testid="detail-state">{row.state}</span>
        {row.source !== 'corral' ? <span class={`badge src-${row.source}`}>{row.source}</span> : null}
        {info.control ? <Controls row={row} /> : null}
      </header>
      <dl class="facts">
        <div><dt>CPU</dt><dd>{pct(row.cpuPercent)}{row.cpuOfLimitPercent !== null ? ` (${pct(row.cpuOfLimitPercent)} of limit)` : ''}</dd></div>
        <div><dt>Memory</dt><dd data-testid="detail-mem">{bytes(row.memUsage)} / {bytes(memLimit)}{memLimit !== null ? ` (${pct(row.memPercent)})` : ''}</dd></div>
        <div><dt>Throttled</dt><dd>{pct(row.throttledPercent)}</dd></div>
        <div><dt>PIDs</dt><dd>{count(row.pids)}{row.pidsLimit ? ` / ${row.pidsLimit}` : ''}</dd></div>
        <div><dt>I/O</dt><dd>{rate(row.readRate)} read, {rate(row.writeRate)} write</dd></div>
        <div><dt>OOM kills</dt><dd>{row.oomKills}</dd></div>
        <div><dt>Restarts</dt><dd>{row.restarts}</dd></div>
        <div><dt>Uptime</dt><dd>{duration(row.uptime)}</dd></div>
      </dl>
      {error ? <p class="error">history: {error}</p> : hist ? <Graphs hist={hist} /> : <p class="muted">Loading the last 15 minutes…</p>}
      <LogsPanel key={row.id} id={row.id} name={row.name} running={row.state === 'running'} />
      <h3>Events</h3>
      <EventList events={mine} compact />
    </section>
  );
}
