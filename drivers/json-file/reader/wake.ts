/**
 * Wake-ups for a follower, fed by the writer's events or fs.watch: never a timer. A
 * notification that arrives while the follower is busy reading is kept, so arm() (before
 * looking at the files) then wait() (after) cannot miss one.
 */
export class Waker {
  private pending = false;
  private failure: Error | undefined;
  private resolve: (() => void) | undefined;

  readonly notify = (): void => {
    this.pending = true;
    this.resolve?.();
    this.resolve = undefined;
  };

  /** The wake-up source broke: the next wait() throws. */
  fail(e: Error): void {
    this.failure ??= e;
    this.notify();
  }

  arm(): void {
    this.pending = false;
  }

  /** Resolves on the next notification since arm(), at once if one came already. */
  async wait(): Promise<void> {
    if (!this.pending) await new Promise<void>((r) => { this.resolve = r; });
    if (this.failure) throw this.failure;
  }
}
