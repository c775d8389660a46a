import { SORT_KEYS, SortKey } from './rows';

/** What `corral top` is showing and how; changed only by onKey. */
export interface ViewState {
  mode: 'list' | 'filter' | 'detail';
  sort: SortKey;
  desc: boolean;
  /** Substring of names to show; edited in filter mode. */
  filter: string;
  /** Show exited and created workloads too. */
  all: boolean;
  /** Id of the highlighted workload (the opened one in detail mode). */
  selected: string | null;
}

export const INITIAL_VIEW: ViewState = { mode: 'list', sort: 'cpu', desc: true, filter: '', all: false, selected: null };

/** What the controller must do after a key, besides redrawing. */
export type ViewAction =
  | { kind: 'none' }
  | { kind: 'quit' }
  | { kind: 'open'; id: string }
  | { kind: 'close' }
  | { kind: 'stop'; id: string }
  | { kind: 'restart'; id: string };

export interface Key {
  /** The character typed, if any. */
  ch?: string;
  /** blessed's key name: 'up', 'enter', 'escape', 'backspace', 'c' (with ctrl) ... (blessed reports Enter twice, as 'enter' and 'return': only 'enter' counts) */
  name?: string;
  ctrl?: boolean;
}

const NONE: ViewAction = { kind: 'none' };

/**
 * The next state after a key. `ids` are the visible rows in display order and `page` the
 * number of rows on screen (for PageUp/PageDown).
 */
export function onKey(s: ViewState, key: Key, ids: readonly string[], page: number): { state: ViewState; action: ViewAction } {
  if (key.ctrl && key.name === 'c') return { state: s, action: { kind: 'quit' } };
  switch (s.mode) {
    case 'filter': return { state: filterKey(s, key), action: NONE };
    case 'detail': return detailKey(s, key);
    case 'list': return listKey(s, key, ids, page);
  }
}

function filterKey(s: ViewState, key: Key): ViewState {
  if (key.name === 'enter') return { ...s, mode: 'list' };
  if (key.name === 'escape') return { ...s, mode: 'list', filter: '' };
  if (key.name === 'backspace') return { ...s, filter: s.filter.slice(0, -1) };
  if (key.ch && key.ch >= ' ' && !key.ctrl) return { ...s, filter: s.filter + key.ch };
  return s;
}

function detailKey(s: ViewState, key: Key): { state: ViewState; action: ViewAction } {
  const id = s.selected;
  if (key.name === 'escape' || key.ch === 'q') return { state: { ...s, mode: 'list' }, action: { kind: 'close' } };
  if (id && key.ch === 's') return { state: s, action: { kind: 'stop', id } };
  if (id && key.ch === 'r') return { state: s, action: { kind: 'restart', id } };
  return { state: s, action: NONE };
}

function listKey(s: ViewState, key: Key, ids: readonly string[], page: number): { state: ViewState; action: ViewAction } {
  if (key.ch === 'q' || key.name === 'escape') return { state: s, action: { kind: 'quit' } };
  if (key.ch === '/') return { state: { ...s, mode: 'filter' }, action: NONE };
  if (key.ch === 'a') return { state: { ...s, all: !s.all }, action: NONE };
  if ((key.name === 'enter') && s.selected && ids.includes(s.selected)) {
    return { state: { ...s, mode: 'detail' }, action: { kind: 'open', id: s.selected } };
  }
  const sortKey = SORT_KEYS.find((k) => k.key === key.ch);
  if (sortKey) {
    // Pressing the current column again flips the order; a new column starts with the natural
    // order (names A-Z, numbers largest first).
    const desc = sortKey.sort === s.sort ? !s.desc : sortKey.sort !== 'name' && sortKey.sort !== 'state';
    return { state: { ...s, sort: sortKey.sort, desc }, action: NONE };
  }
  const moves: Record<string, number> = { up: -1, k: -1, down: 1, j: 1, pageup: -page, pagedown: page, home: -Infinity, end: Infinity };
  const move = moves[key.name ?? ''] ?? (key.ch ? moves[key.ch] : undefined);
  if (move !== undefined && ids.length) {
    const at = s.selected === null ? -1 : ids.indexOf(s.selected);
    const next = Math.max(0, Math.min(ids.length - 1, at < 0 ? 0 : at + move));
    return { state: { ...s, selected: ids[next]! }, action: NONE };
  }
  return { state: s, action: NONE };
}

/** Keeps the selection on a visible row: the first one when the selected row went away. */
export function keepSelection(s: ViewState, ids: readonly string[]): ViewState {
  if (s.mode === 'detail') return s;
  if (s.selected !== null && ids.includes(s.selected)) return s;
  return { ...s, selected: ids[0] ?? null };
}

/** First row on screen so that the selected one is visible, moving as little as possible. */
export function scrollOffset(selected: number, rows: number, offset: number, total: number): number {
  const top = Math.max(0, Math.min(offset, total - rows));
  if (selected < 0) return top;
  if (selected < top) return selected;
  if (selected >= top + rows) return selected - rows + 1;
  return top;
}

/** The footer of each mode (two lines). */
export function footer(s: ViewState): string {
  if (s.mode === 'filter') return `filter: ${s.filter}█\nEnter keep   Esc clear`;
  if (s.mode === 'detail') return 's stop   r restart   q/Esc back';
  const sorts = SORT_KEYS.map((k) => `${k.key} ${k.label}`).join('  ');
  const filter = s.filter ? `filter "${s.filter}"` : '/ filter';
  return `sort: ${sorts}\nsorted by ${s.sort} ${s.desc ? '↓' : '↑'}   ${filter}   a ${s.all ? 'running only' : 'show exited'}   ↑↓ select   Enter open   q quit`;
}
