import type { WriteStream } from 'node:tty';

/** How long a task runs before its progress shows: a quick one never flickers a line. */
const DEFAULT_DELAY_MS = 500;
/** At most this often redrawn. */
const EVERY_MS = 100;

/**
 * One line of progress at the bottom of a terminal: drawn on stderr only when stderr is a tty,
 * only once the task has run for a while, and erased (clear) before anything else is written
 * to that terminal. Nothing ever reaches a pipe, so piped output stays what it would be.
 */
export class ProgressLine {
  private shown = '';
  private lastDraw = 0;
  private ended = false;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly tty: WriteStream, private readonly render: () => string, private readonly delayMs: number) {
    // Redraws also when nothing reports (a long wait shows up too); never holds the process open.
    this.timer = setInterval(() => this.update(), Math.min(EVERY_MS, Math.max(delayMs, 10)));
    this.timer.unref();
  }

  /**
   * A progress line on stderr, or undefined when stderr is not a terminal. The delay is
   * CORRAL_PROGRESS_DELAY_MS when set (tests set 0: shown at once, redrawn on every update).
   */
  static onStderr(render: () => string, env: NodeJS.ProcessEnv = process.env): ProgressLine | undefined {
    if (!process.stderr.isTTY) return undefined;
    const delay = env['CORRAL_PROGRESS_DELAY_MS'];
    return new ProgressLine(process.stderr as WriteStream, render, delay !== undefined && /^\d+$/.test(delay) ? Number(delay) : DEFAULT_DELAY_MS);
  }

  /** Something changed: redrawn if it is time. */
  update(): void {
    const now = Date.now();
    if (this.ended || now - this.started < this.delayMs || now - this.lastDraw < Math.min(EVERY_MS, this.delayMs)) return;
    this.lastDraw = now;
    const width = Math.max((this.tty.columns || 80) - 1, 10);
    const text = this.render().slice(0, width);
    if (text === this.shown) return;
    this.tty.write(`\r${text}\x1b[K`);
    this.shown = text;
  }

  /** Erases the line (before other output goes to the terminal); the next update draws it again. */
  clear(): void {
    if (!this.shown) return;
    this.tty.write('\r\x1b[K');
    this.shown = '';
  }

  /** Erased for good. */
  end(): void {
    this.ended = true;
    clearInterval(this.timer);
    this.clear();
  }
}
