import * as blessed from 'blessed';

/** The key a user pressed, as blessed reports it. */
export interface ScreenKey { ch?: string; name?: string; ctrl?: boolean }

/**
 * The terminal side of `corral top`: draws what it is given and reports keys and resizes.
 * The only file that knows blessed; what to draw is decided by the caller.
 */
export interface TopScreen {
  /** Rows available for the workload table (below its header, above the footer). */
  readonly tableRows: number;
  readonly width: number;
  /** Characters a sparkline gets in the detail view. */
  readonly chartWidth: number;
  showList(title: string, header: string, lines: string[], selected: number, footer: string): void;
  showDetail(title: string, limits: string[], charts: string[], footer: string): void;
  appendLog(line: string, stderr: boolean): void;
  clearLog(): void;
  onKey(fn: (key: ScreenKey) => void): void;
  onResize(fn: () => void): void;
  destroy(): void;
}

const FOOTER = 2;
/** Height of the limits and charts boxes of the detail view (borders included). */
const TOP_BOXES = 11;

export function openTopScreen(): TopScreen {
  // smartCSR + one box per area: blessed redraws only the cells that changed, so a second's
  // refresh of hundreds of rows does not flicker.
  // Draw borders with UTF-8 line characters rather than the terminal's alternate charset:
  // blessed misreads newer terminfo entries (tmux-256color) and would print "lqqk".
  process.env.NCURSES_NO_UTF8_ACS ??= '1';
  const screen = blessed.screen({ smartCSR: true, fullUnicode: true, title: 'corral top', autoPadding: false });
  const title = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: 1, style: { bold: true } });
  const header = blessed.box({ parent: screen, top: 1, left: 0, width: '100%', height: 1, style: { inverse: true } });
  // No wrapping: blessed word-wraps a tagged (selected) row that fills the width exactly.
  const table = blessed.box({ parent: screen, top: 2, left: 0, width: '100%', bottom: FOOTER, tags: true, wrap: false });
  const foot = blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: FOOTER, wrap: false, style: { fg: 'cyan' } });
  const limits = blessed.box({ parent: screen, top: 1, left: 0, width: '50%', height: TOP_BOXES, border: 'line', label: ' limits ', hidden: true });
  const charts = blessed.box({ parent: screen, top: 1, left: '50%', width: '50%', height: TOP_BOXES, border: 'line', label: ' last minutes ', hidden: true });
  const logs = blessed.log({ parent: screen, top: 1 + TOP_BOXES, left: 0, width: '100%', bottom: FOOTER, border: 'line', label: ' logs (follow) ', hidden: true, scrollback: 2000, tags: true });
  const listParts = [header, table];
  const detailParts = [limits, charts, logs];
  let pending = false;
  // Log lines arrive in bursts: draw once per burst.
  const renderSoon = () => {
    if (pending) return;
    pending = true;
    setImmediate(() => { pending = false; screen.render(); });
  };
  const show = (on: blessed.Widgets.BoxElement[], off: blessed.Widgets.BoxElement[]) => {
    for (const e of off) e.hide();
    for (const e of on) e.show();
  };

  return {
    get tableRows() { return Math.max(1, (screen.height as number) - 2 - FOOTER); },
    get width() { return screen.width as number; },
    get chartWidth() { return Math.max(10, Math.floor((screen.width as number) / 2) - 4); },
    showList(t, h, lines, selected, footer) {
      show(listParts, detailParts);
      title.setContent(t);
      header.setContent(h);
      table.setContent(lines.map((l, i) => (i === selected ? `{inverse}${blessed.escape(l.padEnd(screen.width as number))}{/inverse}` : blessed.escape(l))).join('\n'));
      foot.setContent(footer);
      screen.render();
    },
    showDetail(t, lim, ch, footer) {
      show(detailParts, listParts);
      title.setContent(t);
      limits.setContent(lim.join('\n'));
      charts.setContent(ch.join('\n'));
      foot.setContent(footer);
      screen.render();
    },
    appendLog(line, stderr) {
      logs.pushLine(stderr ? `{red-fg}${blessed.escape(line)}{/red-fg}` : blessed.escape(line));
      logs.setScrollPerc(100);
      renderSoon();
    },
    clearLog() { logs.setContent(''); renderSoon(); },
    onKey(fn) { screen.on('keypress', (ch: string | undefined, key: ScreenKey | undefined) => fn({ ch, name: key?.name, ctrl: key?.ctrl })); },
    onResize(fn) { screen.on('resize', fn); },
    destroy() { screen.destroy(); },
  };
}
