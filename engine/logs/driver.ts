import { LogMessage } from './message';
import { LogReader } from './reader';

/** What a driver says about a batch; the outlet decides what happens next. */
export type SendResult =
  | { status: 'ok' }
  | { status: 'retry'; error: Error; retryAfterMs?: number }
  | { status: 'fail'; error: Error };

export interface LogDriver {
  readonly name: string;
  /** Delivers a batch. Messages are immutable: the driver must not change them. */
  send(batch: readonly LogMessage[], signal: AbortSignal): Promise<SendResult>;
  /**
   * Ends the driver. A driver that still holds acknowledged lines (awslogs' partly filled call)
   * may keep delivering them until `giveUp` aborts (the agent is shutting down), then counts the rest.
   */
  close(giveUp?: AbortSignal): Promise<void>;
  /** Drivers that store logs where they can be read back (json-file) offer a reader. */
  reader?(): LogReader;
  /**
   * Lines of batches answered `ok` that the server refused or that never reached it after all
   * (awslogs: too old, too new, ...), by reason. The agent counts them as dropped, not sent.
   */
  rejections?(): Record<string, number>;
  /** Drivers that write local files: writes that failed (disk full, I/O error), counted apart from a server's errors. */
  writeErrors?(): number;
}

/** What a driver knows of the workload it logs for; no agent objects leak in here. */
export interface DriverContext {
  id: string;
  name: string;
  /** The workload's own folder, `<data-root>/containers/<id>`. */
  logDir: string;
  labels: Readonly<Record<string, string>>;
  env: readonly string[];
  /** The time the workload was created (ns), for tag templates. */
  created: bigint;
  /** The pid of the workload's main process in the current run (0 before it starts); syslog's PROCID. */
  pid(): number;
  /** The agent's host identity (`corral agent --hostname`); drivers fall back to os.hostname(). */
  hostname?: string;
}

export interface BatchPolicy {
  maxEvents: number;
  maxBytes: number;
  /** How long to wait for a batch to fill; 0 sends at once. */
  flushMs: number;
}

export interface DriverDefinition<O> {
  readonly name: string;
  /** Validates the driver's own options (generic ones like `mode` are removed first); throws OptionError. */
  parseOptions(opts: Readonly<Record<string, string>>): O;
  readonly batch: BatchPolicy;
  /** Back-off between retries of a failed send, when the outlet's default (100 ms doubling to 30 s) does not fit. */
  readonly retry?: { baseMs: number; capMs: number };
  create(o: O, ctx: DriverContext): Promise<LogDriver>;
  /** Drivers whose logs can be read back without the agent's running writer (json-file after a restart). */
  openReader?(o: O, ctx: DriverContext): LogReader;
  /** Whether a run writes the workload's local json-file log itself (json-file; journald falling back to it). */
  writesLocalLog?(o: O): boolean;
  /**
   * Remote drivers (having a probe is what makes a driver remote: a run's end does not wait for
   * its queue to drain): checks once, within `timeoutMs`, that the server answers (connect, or the
   * protocol's cheapest request). Throws an Error saying what failed. `run` turns it into a
   * warning (or an error with `<driver>-require-healthy=true`); it never delays the workload.
   */
  probe?(o: O, ctx: DriverContext, timeoutMs: number): Promise<void>;
  /**
   * A local check `create` (and so `run`) makes before anything exists, cheap and synchronous
   * (journald: its socket listens). Throws an Error saying what is wrong: the create is refused,
   * whatever `<driver>-require-healthy` says. Unlike a probe, it does not make the driver remote.
   */
  preflight?(o: O): void;
  /**
   * Takes `spool-dir` / `spool-max-size` though it has no probe: a local daemon that can go away
   * (journald). Remote drivers always take them. An outlet with a spool drains in the background
   * after its run, as a remote one does (the spool is there for long outages).
   */
  readonly spool?: boolean;
  /**
   * A local daemon (journald): a run's end waits for its outlet while the daemon takes lines (so
   * `logs` right after `wait` sees them all), and leaves it draining in the background once its
   * sends fail, as a remote driver's: a daemon that stopped reading never holds stop or rm.
   */
  readonly daemon?: boolean;
}

/** A bad log option: the message names the key and what is accepted. */
export class OptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

export function unknownOption(key: string, driver: string): OptionError {
  return new OptionError(`unknown log opt '${key}' for ${driver} log driver`);
}
