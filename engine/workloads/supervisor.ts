import { StreamClock, WallClock } from '../logs/clock';
import { LineFramer } from '../logs/framer';
import { Limits } from '../cgroups/limits';
import { watchOom, OomWatcher } from '../cgroups/oom';
import { CgroupBackend, CgroupHandle } from '../cgroups/types';
import { DriverSample, WorkloadSample } from '../snapshot';
import { LogDriver } from '../logs/driver';
import { Outlet, OutletStats, closeWithin } from '../logs/outlet';
import { LineCounts, pumpStream } from '../logs/pump';
import { Router } from '../logs/router';
import { formatRFC3339Nano } from '../logs/timefmt';
import { nextDelay, shouldRestart } from './restart';
import { WorkloadSpec, WorkloadState } from './spec';
import { pidStartTime, prepareLaunch } from './spawn';
import { WorkloadProcess, startPlain } from './process';
import { adoptHeld, startHeld } from './holder';

/** How long a remote outlet of an ended run keeps trying to deliver before counting the rest as dropped. */
const REMOTE_DRAIN_MS = 5 * 60_000;

export interface SupervisorDeps {
  clock: WallClock;
  /** Where workloads get their cgroups (NoCgroups when the machine offers none). */
  cgroups: CgroupBackend;
  /** Opens the workload's log outlets for one run (one per driver). */
  openOutlets(spec: WorkloadSpec): Promise<Outlet[]>;
  /** Opens only the remote outlets whose disk spools hold lines from an earlier agent (none without spools). */
  openSpooledOutlets?(spec: WorkloadSpec): Promise<Outlet[]>;
  /** Problems worth telling the operator about (printed by the agent, rate-limited). */
  warn(text: string): void;
  /** Called whenever spec or state changed and should be persisted. */
  changed(w: Workload): void;
  /** Lifecycle events (start, die, restart, ...) for the agent's event stream. */
  event(w: Workload, action: string, attrs?: Record<string, string>): void;
  /**
   * The run ended and no restart follows, or a start failed (auto-remove hooks in here); start()
   * waits for what it returns, so a failed start of an auto-remove workload is gone when it throws.
   */
  finished(w: Workload): void | Promise<void>;
  /** The workload's own folder (its output FIFOs and exit file live there). */
  dir: string;
  /** The holder binary that lets workloads outlive the agent; undefined: plain children (no live restore). */
  holder: string | undefined;
}

/** Lines dropped per driver and reason, summed over every run. */
export type DropCounts = Record<string, Record<string, number>>;

/**
 * Runs one workload: spawns it, frames its output into the log router, records how it
 * ended, and applies the restart policy with Docker's back-off.
 */
export class Workload {
  private proc: WorkloadProcess | undefined;
  /** The cgroup path of the last run, kept after it ended (its metrics keep their `id`). */
  lastCgroupPath = '';
  /** The main pid of the last run, kept after it ended: lines still being delivered carry it. */
  lastPid = 0;
  private cgroup: CgroupHandle | undefined;
  private oom: OomWatcher | null = null;
  private router: Router | undefined;
  private outlets: Outlet[] = [];
  private readonly taps = new Set<Outlet>();
  /** Remote outlets of ended runs, still delivering. */
  private readonly draining = new Set<Outlet>();
  private exitWaiters: ((code: number) => void)[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private lastDelayMs = 0;
  private startedMs = 0;
  private runDone: Promise<void> = Promise.resolve();
  private launching: Promise<void> | undefined;
  private shuttingDown = false;
  /** Delivery totals of the runs that ended, by driver. */
  private readonly pastDrivers = new Map<string, DriverSample>();
  /** Lines and bytes read from the workload's output, over all runs. */
  private readonly lineCounts: LineCounts = { messages: { stdout: 0, stderr: 0 }, bytes: 0 };

  constructor(public spec: WorkloadSpec, public state: WorkloadState, private readonly deps: SupervisorDeps) {}

  get running(): boolean { return this.state.status === 'running'; }

  /** Starts the workload; a no-op when it already runs. Throws ExecError (126/127) or a driver's OptionError. */
  async start(): Promise<void> {
    if (this.running) return;
    this.clearRestart();
    this.state.stoppedByUser = false;
    try {
      await this.launch();
    } catch (e) {
      // As dockerd: a `run --rm` whose command cannot start leaves no Created workload behind.
      await this.deps.finished(this);
      throw e;
    }
  }

  /** A start under way: stop() waits for it, so a run that begins while stopping is stopped too, not left behind. */
  private launch(): Promise<void> {
    const p = this.launchNow();
    this.launching = p;
    void p.catch(() => {}).finally(() => { if (this.launching === p) this.launching = undefined; });
    return p;
  }

  private async launchNow(): Promise<void> {
    const outlets = await this.deps.openOutlets(this.spec);
    let cgroup: CgroupHandle | undefined;
    let proc: WorkloadProcess;
    try {
      cgroup = await this.deps.cgroups.create(this.spec.id, this.spec.limits);
      const launch = prepareLaunch(this.spec, this.deps.cgroups.version !== null ? cgroup : undefined);
      proc = this.deps.holder ? await startHeld(this.deps.holder, this.deps.dir, launch) : await startPlain(launch);
    } catch (e) {
      await cgroup?.destroy().catch(() => {});
      await Promise.all(outlets.map((o) => o.close()));
      this.state.error = (e as Error).message;
      this.state.exitCode = (e as { exitCode?: number }).exitCode ?? 126;
      if (this.state.status === 'restarting') this.state.status = 'exited';
      this.deps.changed(this);
      throw e;
    }
    this.startedMs = Date.now();
    Object.assign(this.state, {
      status: 'running', pid: proc.pid, exitCode: 0, oomKilled: false, error: '',
      startedAt: formatRFC3339Nano(this.deps.clock.nowNs()), pidStartTime: pidStartTime(proc.pid),
      holderPid: proc.holder?.pid ?? 0, holderStartTime: proc.holder?.startTime ?? '',
    });
    this.run(proc, cgroup, outlets);
    this.deps.event(this, 'start');
  }

  /**
   * Takes over the run a previous agent started, when its holder is still there: the workload
   * never stopped, and its output waited in the pipes. False when there is nothing to adopt.
   */
  async adopt(): Promise<boolean> {
    const s = this.state;
    const proc = adoptHeld(this.deps.dir, s.pid, { pid: s.holderPid ?? 0, startTime: s.holderStartTime ?? '' });
    if (!proc) return false;
    const cgroup = this.deps.cgroups.version !== null ? await this.deps.cgroups.adopt(this.spec.id, this.spec.limits).catch(() => undefined) : undefined;
    this.startedMs = Date.now();
    this.run(proc, cgroup, await this.deps.openOutlets(this.spec));
    return true;
  }

  private run(proc: WorkloadProcess, cgroup: CgroupHandle | undefined, outlets: Outlet[]): void {
    this.proc = proc;
    this.cgroup = cgroup;
    this.lastCgroupPath = cgroup?.path ?? '';
    this.lastPid = proc.pid;
    this.oom = cgroup ? watchOom(cgroup, { onKill: (_total, added) => this.oomKilled(added) }) : null;
    this.outlets = outlets;
    this.router = new Router();
    for (const o of [...outlets, ...this.taps]) this.router.add(o);
    this.deps.changed(this);
    this.runDone = this.supervise(proc, this.router);
  }

  private async supervise(proc: WorkloadProcess, router: Router): Promise<void> {
    const framer = (name: 'stdout' | 'stderr') => new LineFramer(name, new StreamClock(this.deps.clock));
    const pumps = [
      pumpStream(proc.stdout, framer('stdout'), router, this.lineCounts),
      pumpStream(proc.stderr, framer('stderr'), router, this.lineCounts),
    ];
    const exitCode = await proc.exited;
    this.oom?.check();
    // Like a container's init dying: whatever it left behind in its group (and its cgroup) goes too.
    proc.signalGroup('SIGKILL');
    await this.cgroup?.kill('SIGKILL').catch(() => {});
    for (const p of pumps) p.flush();
    await Promise.all(pumps.map((p) => p.done));
    await this.cgroup?.destroy().catch((e: Error) => this.deps.warn(`${this.spec.name}: cgroup not removed: ${e.message}`));
    this.cgroup = undefined;
    this.oom = null;
    // Local outlets finish before the run counts as ended (logs right after wait see every line);
    // remote ones drain in the background, so a down log server never holds stop, wait or rm. A
    // local daemon's (journald) is waited for while it takes lines, and drains in the background
    // too once its sends fail (a journald that stopped reading).
    const local = [...this.outlets.filter((o) => !o.remote && !o.daemon), ...this.taps];
    const daemons = this.outlets.filter((o) => !o.remote && o.daemon);
    const stuck = new Set<Outlet>();
    await Promise.all([
      ...local.map((o) => o.close()),
      ...daemons.map(async (o) => {
        const closing = o.close(REMOTE_DRAIN_MS);
        if (await Promise.race([closing.then(() => false), o.whenFailing().then(() => true)])) stuck.add(o);
      }),
    ]);
    this.tally(this.outlets.filter((o) => !o.remote && !stuck.has(o)));
    for (const o of this.outlets.filter((x) => x.remote || stuck.has(x))) {
      this.draining.add(o);
      void o.close(REMOTE_DRAIN_MS).finally(() => { this.draining.delete(o); this.tally([o]); });
    }
    this.outlets = [];
    this.taps.clear();
    this.router = undefined;
    this.proc = undefined;
    Object.assign(this.state, { status: 'exited', pid: 0, exitCode, finishedAt: formatRFC3339Nano(this.deps.clock.nowNs()) });
    this.deps.event(this, 'die', { exitCode: String(exitCode) });
    const restart = !this.shuttingDown && shouldRestart(this.spec.restartPolicy, {
      exitCode, stoppedByUser: this.state.stoppedByUser, restartCount: this.state.restartCount,
    });
    if (restart) this.scheduleRestart();
    this.deps.changed(this);
    for (const w of this.exitWaiters.splice(0)) w(exitCode);
    if (!restart) this.deps.finished(this);
  }

  private scheduleRestart(): void {
    this.lastDelayMs = nextDelay(this.lastDelayMs, Date.now() - this.startedMs);
    this.state.status = 'restarting';
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.state.restartCount++;
      this.launch().then(
        () => this.deps.event(this, 'restart'),
        () => { this.state.status = 'exited'; this.deps.changed(this); this.deps.finished(this); },
      );
    }, this.lastDelayMs);
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  /**
   * SIGTERM to the whole group, SIGKILL after timeoutSec (never when it is negative). A stop by the user keeps the restart
   * policy out of it (and unless-stopped stays down across agent restarts); the agent's own
   * shutdown does not count as one.
   */
  async stop(timeoutSec: number, byUser = true): Promise<void> {
    if (byUser) this.state.stoppedByUser = true;
    else this.shuttingDown = true;
    await this.launching?.catch(() => {});
    if (this.state.status === 'restarting') {
      this.clearRestart();
      this.state.status = 'exited';
      this.deps.changed(this);
      this.deps.finished(this);
      return;
    }
    const proc = this.proc;
    if (!proc || !this.running) { this.deps.changed(this); return; }
    const exited = this.wait();
    proc.signalGroup('SIGTERM');
    // A negative timeout: no SIGKILL, wait for the exit (Docker's -1). A timer can't hold more than
    // 2^31-1 ms (it would fire at once): the API refuses longer, and this clamps in case.
    const timer = timeoutSec < 0 ? undefined : setTimeout(() => proc.signalGroup('SIGKILL'), Math.min(timeoutSec * 1000, 0x7fffffff));
    await exited;
    clearTimeout(timer);
    this.deps.event(this, 'stop');
  }

  /**
   * Live restore at the agent's shutdown: stops reading the output and flushes what was read;
   * the workload runs on under its holder. One without a holder can't outlive us: it is stopped.
   */
  async detach(drainMs: number): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running || !proc.holder) { await this.stop(10, false); return; }
    this.clearRestart();
    proc.stdout.destroy();
    proc.stderr.destroy();
    const outlets = [...this.outlets, ...this.taps];
    let timer: NodeJS.Timeout | undefined;
    const closing = Promise.all(outlets.map((o) => o.close(drainMs)));
    await Promise.race([closing, new Promise((r) => { timer = setTimeout(r, drainMs + 1000); })]);
    clearTimeout(timer);
    this.oom?.close();
  }

  /** Sends a signal to the workload's main process (Docker's kill). */
  kill(signal: NodeJS.Signals | number): void {
    if (!this.proc || !this.running) throw new Error(`Container ${this.spec.id} is not running`);
    this.proc.signal(signal);
    this.deps.event(this, 'kill', { signal: String(signal) });
  }

  /** The kernel OOM-killed processes of this workload (the workload itself or a child of it). */
  private oomKilled(added: number): void {
    this.state.oomKilled = true;
    this.state.oomKillCount = (this.state.oomKillCount ?? 0) + added;
    this.deps.changed(this);
    for (let i = 0; i < added; i++) this.deps.event(this, 'oom');
  }

  /** Applies new limits: to the live cgroup at once (all or nothing), and to every later run. */
  async updateLimits(next: Limits): Promise<void> {
    if (this.cgroup && this.running) await this.cgroup.setLimits(next);
    this.spec.limits = next;
    this.deps.changed(this);
    this.deps.event(this, 'update');
  }

  /** The live cgroup, while the workload runs (stats, metrics). */
  get cgroupHandle(): CgroupHandle | undefined {
    return this.cgroup;
  }

  /** Resolves with the exit code once the workload is not running (at once if it isn't). */
  wait(): Promise<number> {
    if (!this.running) return Promise.resolve(this.state.exitCode);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /**
   * Waits (at most graceMs) for remote outlets of ended runs to deliver what they hold; what is
   * still queued then is dropped and counted (reason closed). For the agent's shutdown.
   */
  async drainLogs(graceMs: number): Promise<void> {
    await closeWithin([...this.draining], graceMs);
  }

  /** Sends what an earlier agent left in this workload's log spools, with no run (at the agent's start). */
  async resumeSpools(): Promise<void> {
    for (const o of await this.deps.openSpooledOutlets?.(this.spec) ?? []) {
      this.draining.add(o);
      void o.close(REMOTE_DRAIN_MS).finally(() => { this.draining.delete(o); this.tally([o]); });
    }
  }

  /**
   * Gives up now on the outlets of ended runs that have a disk spool (`system prune --spools`):
   * what they had not sent stays in their spools, closed, for the caller to delete.
   */
  async abortSpooledLogs(): Promise<void> {
    const spooled = [...this.draining].filter((o) => o.spooledBytes !== undefined);
    for (const o of spooled) o.abortNow();
    await Promise.all(spooled.map((o) => o.close()));
  }

  /** Resolves when no remote outlet of an ended run is still delivering (each gives up after its own grace). */
  async logsDelivered(): Promise<void> {
    await Promise.all([...this.draining].map((o) => o.close()));
  }

  /** Resolves once the current run has ended and its local logs were flushed. */
  async runEnded(): Promise<void> {
    await this.runDone;
  }

  /** The drivers of the current run (a json-file reader follows the live writer). */
  liveDrivers(): LogDriver[] {
    return this.outlets.map((o) => o.driver);
  }

  /** Adds a live subscriber (attach) for this and the next run. Returns the detach function. */
  attach(tap: Outlet): () => void {
    this.taps.add(tap);
    this.router?.add(tap);
    return () => { this.taps.delete(tap); this.router?.remove(tap); };
  }

  /** Per-driver delivery totals over all runs, live outlets included. */
  driverTotals(): DriverSample[] {
    const totals = new Map<string, DriverSample>();
    for (const t of this.pastDrivers.values()) totals.set(t.driver, { ...t, dropped: { ...t.dropped }, queuedBytes: 0 });
    for (const o of [...this.outlets, ...this.draining]) addOutlet(totals, o, true);
    return [...totals.values()];
  }

  /** Lines delivered (by outlet, the first driver's first) and dropped (by outlet and reason), as inspect shows them. */
  dropCounts(): { sent: Record<string, number>; dropped: DropCounts } {
    const sent: Record<string, number> = {};
    const dropped: DropCounts = {};
    for (const d of this.driverTotals()) { sent[d.driver] = d.sent; dropped[d.driver] = d.dropped; }
    return { sent, dropped };
  }

  /** Everything the sampler needs besides the cgroup's own numbers. */
  describe(): Omit<WorkloadSample, 'stats' | 'cgroupPath'> {
    const { spec, state } = this;
    return {
      id: spec.id, name: spec.name, source: 'corral', labels: spec.labels, state: state.status, restartCount: state.restartCount,
      oomKillCount: state.oomKillCount, startedAt: this.running ? Date.parse(state.startedAt) / 1000 : 0,
      limits: spec.limits, logs: { messages: { ...this.lineCounts.messages }, bytes: this.lineCounts.bytes, drivers: this.driverTotals() },
    };
  }

  private tally(outlets: Outlet[]): void {
    for (const o of outlets) addOutlet(this.pastDrivers, o, false);
  }
}

function addOutlet(into: Map<string, DriverSample>, o: Outlet, live: boolean): void {
  const name = o.name;
  const t = into.get(name) ?? { driver: name, sent: 0, dropped: {}, errors: 0, retries: 0, queuedBytes: 0 };
  const s: OutletStats = o.stats;
  t.sent += s.sent;
  t.errors += s.errors;
  t.retries += s.retries;
  const failedWrites = o.driver.writeErrors?.();
  if (failedWrites !== undefined) t.writeErrors = (t.writeErrors ?? 0) + failedWrites;
  if (live) t.queuedBytes += s.queuedBytes;
  // The outlets of consecutive runs share one spool: its size, not a sum.
  const spooled = o.spooledBytes;
  if (live && spooled !== undefined) t.spooledBytes = Math.max(t.spooledBytes ?? 0, spooled);
  for (const [reason, n] of Object.entries(s.dropped)) t.dropped[reason] = (t.dropped[reason] ?? 0) + n;
  for (const [reason, n] of Object.entries(o.driver.rejections?.() ?? {})) {
    t.sent -= n;
    t.dropped[reason] = (t.dropped[reason] ?? 0) + n;
  }
  into.set(name, t);
}

export type { WorkloadState };
