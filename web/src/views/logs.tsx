import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { openStream, query, workloadPath } from '../api';
import type { LogLine } from '../types';
import { VirtualList } from '../virtual';

/** Lines kept in the page: a workload writing thousands a second must not grow the tab without bound. */
export const LOG_CAP = 5000;
/** Lines asked for when no time is given. */
const TAIL = 1000;
/** How often the view repaints while lines pour in. */
const PAINT_MS = 100;
const LINE_HEIGHT = 18;
/** The wait before reading again after the agent could not be reached, doubled per failure up to the max. */
const RETRY_MS = 2000;
const RETRY_MAX_MS = 30_000;
/** The statuses of a proxy or agent that may answer later (bad gateway, unavailable, timeout); others are final. */
const RETRIED = new Set([502, 503, 504]);

/** The last LOG_CAP lines; appends are cheap (trimmed in steps, not on every line). */
class LineBuffer {
  lines: LogLine[] = [];
  dropped = 0;
  received = 0;
  push(more: LogLine[]): void {
    this.received += more.length;
    for (const l of more) this.lines.push(l);
    if (this.lines.length > LOG_CAP + LOG_CAP / 5) {
      const cut = this.lines.length - LOG_CAP;
      this.lines.splice(0, cut);
      this.dropped += cut;
    }
  }
  view(): LogLine[] { return this.lines.length > LOG_CAP ? this.lines.slice(this.lines.length - LOG_CAP) : this.lines; }
}

const timeOf = (t: string) => {
  // RFC 3339 with nanoseconds: show the local clock to the millisecond.
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return t;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

/** The line with every (case-insensitive) occurrence of q marked. */
function highlight(line: string, q: string): ComponentChildren {
  if (!q) return line;
  const lower = line.toLowerCase();
  const out: ComponentChildren[] = [];
  let at = 0;
  for (let i = lower.indexOf(q); i >= 0 && out.length < 200; i = lower.indexOf(q, i + q.length)) {
    if (i > at) out.push(line.slice(at, i));
    out.push(<mark>{line.slice(i, i + q.length)}</mark>);
    at = i + q.length;
  }
  out.push(line.slice(at));
  return out;
}

type Status = 'loading' | 'following' | 'done' | 'ended' | 'error';

export function LogsPanel({ id, name, running }: { id: string; name: string; running: boolean }) {
  const [follow, setFollow] = useState(true);
  const [since, setSince] = useState('');
  const [sinceInput, setSinceInput] = useState('');
  const [search, setSearch] = useState('');
  const [onlyMatching, setOnlyMatching] = useState(true);
  const [status, setStatus] = useState<Status>('loading');
  const [error, setError] = useState('');
  const [warning, setWarning] = useState('');
  const [, repaint] = useState(0);
  // Bumped to read again after the stream broke (a reconnect by the browser would repeat the tail).
  const [generation, setGeneration] = useState(0);
  const buf = useRef(new LineBuffer());
  // Failed reads in a row: the wait before the next one doubles, up to RETRY_MAX_MS.
  const failures = useRef(0);
  useEffect(() => { failures.current = 0; }, [id, since, follow]);

  // (Re)loads when the workload, the time or follow changes; the page repaints at most every PAINT_MS.
  useEffect(() => {
    buf.current = new LineBuffer();
    repaint((n) => n + 1);
    setStatus('loading');
    let timer: number | undefined;
    let retry: number | undefined;
    let stopped = false;
    setError('');
    setWarning('');
    const schedule = () => { timer ??= window.setTimeout(() => { timer = undefined; repaint((n) => n + 1); }, PAINT_MS); };
    const url = workloadPath(id, '/logs') + query({ tail: since ? LOG_CAP : TAIL, since, follow: follow ? 1 : undefined });
    const close = openStream(url, {
      line: (d) => { failures.current = 0; buf.current.push([JSON.parse(d) as LogLine]); schedule(); },
      lines: (d) => { failures.current = 0; buf.current.push(JSON.parse(d) as LogLine[]); schedule(); },
      // A follow ends when the workload exited for good: 'ended', and followed again once it runs (below).
      end: () => { close(); setStatus(follow ? 'ended' : 'done'); repaint((n) => n + 1); },
      // Lines the agent could not deliver (a corrupt entry, lines rotated away before it read them).
      warning: (d) => { const w = JSON.parse(d) as { text: string; count: number | null }; setWarning(w.count ? `${w.text} (${w.count})` : w.text); },
    }, () => {
      // EventSource hides the status: ask once more without follow to tell a final answer (bad input,
      // a log the agent cannot read: 4xx, 501) from a lost agent (no answer, 502-504), which is retried.
      close();
      fetch(workloadPath(id, '/logs') + query({ tail: 0, since }), { credentials: 'same-origin' }).then(async (res) => {
        if (stopped) return;
        if (res.status >= 400 && !RETRIED.has(res.status)) {
          let text = `${res.status} ${res.statusText}`;
          try { text = ((await res.json()) as { error?: string }).error ?? text; } catch { /* not JSON */ }
          setError(text);
          setStatus('error');
          return;
        }
        void res.body?.cancel();
        throw new Error('retry');
      }).catch(() => {
        if (stopped) return;
        setStatus('error');
        retry = window.setTimeout(() => setGeneration((g) => g + 1), Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** failures.current++));
      });
    });
    if (follow) setStatus('following');
    return () => { stopped = true; close(); clearTimeout(timer); clearTimeout(retry); };
  }, [id, since, follow, generation]);

  // A follow that ended (the workload exited for good) starts again when the row turns running again.
  const wasRunning = useRef(running);
  useEffect(() => {
    const started = running && !wasRunning.current;
    wasRunning.current = running;
    if (started && follow && status === 'ended') setGeneration((g) => g + 1);
  }, [running]);

  // While the user reads older lines of a followed log, the view holds still (the buffer keeps
  // filling and dropping its oldest lines, which would slide the text away under the reader).
  const [frozen, setFrozen] = useState<LogLine[] | null>(null);
  const [toEnd, setToEnd] = useState(0);
  useEffect(() => setFrozen(null), [id, since, follow, generation]);
  const frozenAt = useRef(0);
  const onPinnedChange = (pinned: boolean) => {
    frozenAt.current = buf.current.received;
    setFrozen(pinned || !follow ? null : buf.current.view().slice());
  };
  const jumpToEnd = () => { setFrozen(null); setToEnd((n) => n + 1); };

  const q = search.toLowerCase();
  const all = frozen ?? buf.current.view();
  const shown = useMemo(() => (q && onlyMatching ? all.filter((l) => l.line.toLowerCase().includes(q)) : all), [all, all.length, q, onlyMatching, buf.current.dropped]);
  const matches = useMemo(() => (q ? (onlyMatching ? shown.length : all.filter((l) => l.line.toLowerCase().includes(q)).length) : 0), [shown, q]);

  // The selection: everything since the time asked for, else as many lines as the view holds; only those with the search text.
  const download = workloadPath(id, '/logs/download') + query({ since, tail: since ? undefined : LOG_CAP, q: search });

  const row = (i: number) => {
    const l = shown[i]!;
    return (
      <div class={`logline ${l.stream}`} data-testid="log-line">
        <span class="lt">{timeOf(l.t)}</span>
        <span class="ls">{l.stream === 'stderr' ? 'err' : 'out'}</span>
        <span class="ll">{highlight(l.line, q)}{l.partial ? <span class="partial" title="partial line">⏎̸</span> : null}</span>
      </div>
    );
  };

  return (
    <section class="logs" data-testid="logs">
      <div class="toolbar">
        <label title="Keep reading new lines as the workload writes them">
          <input type="checkbox" checked={follow} data-testid="logs-follow" onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> follow
        </label>
        <form class="since" onSubmit={(e) => { e.preventDefault(); setSince(sinceInput.trim()); }}>
          <input
            placeholder="since: 10m, 2h, 2026-01-02T15:04:05Z" value={sinceInput} data-testid="logs-since"
            title="Like corral logs --since: a duration (10m), RFC 3339, or unix seconds; empty = the last lines"
            onInput={(e) => setSinceInput((e.target as HTMLInputElement).value)}
          />
          <button type="submit" data-testid="logs-since-apply">go</button>
        </form>
        <input
          type="search" placeholder="search loaded lines" value={search} data-testid="logs-search"
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <label title="Hide lines without the search text"><input type="checkbox" checked={onlyMatching} onChange={(e) => setOnlyMatching((e.target as HTMLInputElement).checked)} /> only matching</label>
        <a class="button" href={download} download={`${name}-logs.txt`} data-testid="logs-download" title="The lines of this time range (and search) as text">download</a>
        <span class="muted" data-testid="logs-status">
          {error ? <span class="error" data-testid="logs-error">{error}</span> : frozen ? 'paused while scrolled up' : status} · {all.length} lines{buf.current.dropped ? ` (last ${LOG_CAP} kept)` : ''}{q ? ` · ${matches} matching` : ''}
        </span>
        {warning ? <span class="warn" data-testid="logs-warning" title="reported by the agent">⚠ {warning}</span> : null}
      </div>
      {frozen ? (
        <button class="to-end" data-testid="logs-to-end" onClick={jumpToEnd}>
          ↓ newest ({buf.current.received - frozenAt.current} more)
        </button>
      ) : null}
      <VirtualList
        count={shown.length} rowHeight={LINE_HEIGHT} row={row} testid="log-lines" class="loglist" stickToEnd={follow && !frozen}
        onPinnedChange={onPinnedChange} toEnd={toEnd}
        empty={status === 'loading' ? 'Loading…' : q ? 'No loaded line matches.' : 'No lines.'}
      />
    </section>
  );
}
