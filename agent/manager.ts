import * as path from 'node:path';
import { CgroupSetup, LimitsError, NO_LIMITS, ResourceFlags, mergeUpdate, parseLimits, parseUpdate } from '../engine/cgroups';
import { CgroupLimitError } from '../engine/cgroups/handle';
import { WallClock } from '../engine/logs/clock';
import { DriverContext, OptionError } from '../engine/logs/driver';
import { formatRFC3339Nano, parseRFC3339Nano } from '../engine/logs/timefmt';
import { newId, randomName } from '../engine/workloads/ids';
import { LogConfig, SpecError, WorkloadSpec, WorkloadState, checkName, initialState, parseRestartPolicy } from '../engine/workloads/spec';
import { WorkloadStore } from '../engine/workloads/store';
import { Workload } from '../engine/workloads/supervisor';
import { resolveUser } from '../engine/workloads/user';
import { pidStartTime } from '../engine/workloads/spawn';
import { keepsLocalLog, logConfigsOf, planOutlets } from './logplan';
import { openOutlets, openSpooledOutlets, probeOutlets } from './outlets';
import { AgentSpools, SpoolUsage } from './spools';
import { ApiError, badRequest, conflict, notFound } from './errors';

export interface CreateRequest {
  name?: string;
  path: string;
  args?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
  restart?: string;
  autoRemove?: boolean;
  /** One or more log drivers (`--log-driver`, repeatable); a string is one driver. */
  logDriver?: string | string[];
  /** Log options; with several drivers a driver's own are scoped `driver:key`. */
  logOpts?: Record<string, string>;
  /** Docker's resource flags by long name, as typed (`{ memory: '256m', 'device-write-bps': ['/dev/vda:1mb'] }`). */
  resources?: ResourceFlags;
}

export interface ManagerDeps {
  store: WorkloadStore;
  clock: WallClock;
  cgroups: CgroupSetup;
  event(w: Workload, action: string, attrs?: Record<string, string>): void;
  warn(text: string): void;
  /** The workload holder binary (live restore), or undefined. */
  holder: string | undefined;
  /** The agent's host identity, put on the wire by drivers that send a host. */
  hostname?: string;
}

/** The agent's workloads: creation with every check up front, lookup by id, prefix or name, removal. */
export class WorkloadManager {
  private readonly byId = new Map<string, Workload>();
  /** Removed workloads whose remote outlets still deliver: the agent's shutdown must bound them too. */
  private readonly retired = new Set<Workload>();
  /** Log spools (`spool-dir`), shared by the outlets of consecutive runs; `default` is `<data-root>/spool`. */
  private readonly spools: AgentSpools;

  constructor(private readonly deps: ManagerDeps) {
    this.spools = new AgentSpools(path.dirname(deps.store.containersDir), deps.warn);
  }

  /**
   * Loads what the store holds. A workload that was running when the agent died is adopted when
   * its holder is still there (it never stopped; its output waited in the pipes); otherwise it
   * is ended and marked exited, as dockerd does without live-restore.
   */
  async restore(): Promise<Workload[]> {
    const restored: Workload[] = [];
    for (const rec of this.deps.store.loadAll((id, e) => this.deps.warn(`skipping unreadable workload ${id}: ${e.message}`))) {
      rec.spec.limits ??= { ...NO_LIMITS };
      rec.state.oomKillCount ??= 0;
      // Specs written before several drivers were possible have one `logConfig`.
      const old = rec.spec as WorkloadSpec & { logConfig?: LogConfig };
      if (!old.logConfigs && old.logConfig) { old.logConfigs = [old.logConfig]; delete old.logConfig; }
      const w = this.build(rec.spec, rec.state);
      if (w.state.status === 'running' && await w.adopt().catch((e: Error) => { this.deps.warn(`${w.spec.name}: not adopted: ${e.message}`); return false; })) {
        this.deps.warn(`adopted ${w.spec.name} (pid ${w.state.pid}) from the previous agent`);
      } else if (['running', 'restarting', 'removing'].includes(w.state.status)) {
        if (w.state.pid && w.state.pidStartTime && pidStartTime(w.state.pid) === w.state.pidStartTime) {
          try { process.kill(-w.state.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
        }
        Object.assign(w.state, { status: 'exited', pid: 0, exitCode: 255, finishedAt: formatRFC3339Nano(this.deps.clock.nowNs()), error: 'agent stopped while the workload ran' });
        this.deps.store.save(rec);
      }
      // Lines an earlier agent spooled for a workload that is not running now are sent anyway.
      if (!w.running && w.spec.logConfigs.some((c) => c.config['spool-dir'] !== undefined)) void w.resumeSpools().catch((e: Error) => this.deps.warn(`${w.spec.name}: spooled logs not sent: ${e.message}`));
      restored.push(w);
    }
    // Spools of removed workloads: sent with the log config kept with them.
    void this.spools.resumeLeftovers(new Set(restored.map((w) => w.spec.id)), (owner, driver, ctx) => openSpooledOutlets(
      planOutlets([owner.log]).filter((p) => p.name === driver), ctx, (text) => this.deps.warn(`${text} (${owner.workload.name}, removed)`), () => {}, this.spools,
    ), this.deps.hostname).catch((e: Error) => this.deps.warn(`spools of removed workloads: ${e.message}`));
    return restored;
  }

  /**
   * Creates a workload after every check; returns it with dockerd-style warnings. Remote log
   * servers are asked once whether they answer (bounded): a warning, or a refusal with
   * `<driver>-require-healthy=true`.
   */
  async create(req: CreateRequest): Promise<{ workload: Workload; warnings: string[] }> {
    const { spec, warnings } = this.validate(req);
    const health = await probeOutlets(planOutlets(spec.logConfigs), this.contextOf(spec, () => 0));
    if (health.errors.length) throw badRequest(health.errors.join('; '));
    if (this.byName(spec.name)) throw this.nameConflict(spec.name);
    const w = this.build(spec, initialState());
    this.deps.store.save({ spec: w.spec, state: w.state });
    this.deps.event(w, 'create');
    return { workload: w, warnings: [...warnings, ...health.warnings] };
  }

  /**
   * Every check `create` makes, creating nothing (`POST /workloads?dryRun=1`, for `corral up`,
   * which validates a whole file before it changes anything). A name in use is no error here:
   * `up` replaces its own workloads.
   */
  check(req: CreateRequest): { spec: WorkloadSpec; warnings: string[] } {
    return this.validate(req, false);
  }

  /** `update`: Docker's rules against what is set now; a refused update changes nothing. */
  async update(w: Workload, flags: ResourceFlags): Promise<string[]> {
    return this.userInput(async () => {
      const { changes, warnings } = parseUpdate(flags, this.deps.cgroups.host);
      const next = mergeUpdate(w.spec.limits, changes);
      this.deps.cgroups.backend.check(next);
      await w.updateLimits(next);
      return warnings;
    });
  }

  /** Turns the errors of bad user input into 400s with their own message. */
  private async userInput<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof SpecError || e instanceof OptionError || e instanceof LimitsError || e instanceof CgroupLimitError) throw badRequest(e.message);
      throw e;
    }
  }

  private validate(req: CreateRequest, nameMustBeFree = true): { spec: WorkloadSpec; warnings: string[] } {
    try {
      if (typeof req.path !== 'string' || !req.path) throw new SpecError('no command given: put it after the options, e.g. corral run -- node app.js');
      const name = req.name ?? randomName((n) => this.byName(n) !== undefined);
      checkName(name);
      if (nameMustBeFree && this.byName(name)) throw this.nameConflict(name);
      const restartPolicy = parseRestartPolicy(req.restart ?? 'no');
      if (req.autoRemove && restartPolicy.name !== 'no') throw new SpecError('Conflicting options: cannot specify both --restart and --rm');
      if (req.user) resolveUser(req.user);
      // Relative to what? The agent's cwd is no one's business (the CLI sends the client's, resolved).
      if (req.workingDir && !path.isAbsolute(req.workingDir)) throw new SpecError(`the working directory '${req.workingDir}' is invalid, it needs to be an absolute path`);
      const { limits, warnings } = parseLimits(req.resources ?? {}, this.deps.cgroups.host);
      this.deps.cgroups.backend.check(limits);
      const spec: WorkloadSpec = {
        id: newId(), name, created: formatRFC3339Nano(this.deps.clock.nowNs()),
        path: req.path, args: req.args ?? [], env: req.env ?? [], workingDir: req.workingDir ?? '',
        user: req.user ?? '', labels: req.labels ?? {}, restartPolicy, autoRemove: !!req.autoRemove,
        logConfigs: logConfigsOf(typeof req.logDriver === 'string' ? [req.logDriver] : req.logDriver ?? [], req.logOpts ?? {}),
        limits,
      };
      planOutlets(spec.logConfigs);
      return { spec, warnings };
    } catch (e) {
      if (e instanceof SpecError || e instanceof OptionError || e instanceof LimitsError || e instanceof CgroupLimitError) throw badRequest(e.message);
      throw e;
    }
  }

  private nameConflict(name: string): ApiError {
    const clash = this.byName(name)!;
    return conflict(`Conflict. The container name "/${name}" is already in use by container "${clash.spec.id}". You have to remove (or rename) that container to be able to reuse that name.`);
  }

  private contextOf(s: WorkloadSpec, pid: () => number): DriverContext {
    return {
      id: s.id, name: s.name, logDir: this.deps.store.dirOf(s.id), labels: s.labels, env: s.env,
      created: parseRFC3339Nano(s.created) ?? 0n, pid, hostname: this.deps.hostname,
    };
  }

  private build(spec: WorkloadSpec, state: WorkloadState): Workload {
    const w: Workload = new Workload(spec, state, {
      clock: this.deps.clock,
      cgroups: this.deps.cgroups.backend,
      warn: this.deps.warn,
      openOutlets: () => openOutlets(planOutlets(spec.logConfigs), this.contextOf(spec, () => w.lastPid), (text: string) => this.deps.warn(`${text} (${spec.name})`),
        (action, attrs) => this.deps.event(w, action, attrs), this.spools),
      openSpooledOutlets: () => openSpooledOutlets(planOutlets(spec.logConfigs), this.contextOf(spec, () => w.lastPid), (text: string) => this.deps.warn(`${text} (${spec.name})`),
        (action, attrs) => this.deps.event(w, action, attrs), this.spools),
      changed: (x) => this.save(x),
      event: (x, action, attrs) => this.deps.event(x, action, attrs),
      finished: (x) => (x.spec.autoRemove ? this.remove(x, true).catch(() => {}) : undefined),
      dir: this.deps.store.dirOf(spec.id),
      holder: this.deps.holder,
    });
    this.byId.set(spec.id, w);
    return w;
  }

  /** Persists a workload's state; a full disk must not stop the agent (the next save catches up). */
  private save(w: Workload): void {
    try {
      this.deps.store.save({ spec: w.spec, state: w.state });
    } catch (e) {
      this.deps.warn(`${w.spec.name}: state not saved: ${(e as Error).message}`);
    }
  }

  /** By full id, exact name, or unique id prefix (Docker's rules). */
  get(ref: string): Workload {
    const exact = this.byId.get(ref) ?? this.byName(ref.replace(/^\//, ''));
    if (exact) return exact;
    const matches = ref ? [...this.byId.values()].filter((w) => w.spec.id.startsWith(ref)) : [];
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new ApiError(400, `multiple IDs found with provided prefix: ${ref}`);
    throw notFound(ref);
  }

  list(): Workload[] {
    return [...this.byId.values()].sort((a, b) => (a.spec.created < b.spec.created ? 1 : -1));
  }

  private byName(name: string): Workload | undefined {
    for (const w of this.byId.values()) if (w.spec.name === name) return w;
    return undefined;
  }

  /** Removes a workload (force stops a running one first; otherwise refuses, as Docker). */
  async remove(w: Workload, force: boolean): Promise<void> {
    if (w.running || w.state.status === 'restarting') {
      if (!force) {
        throw conflict(`cannot remove container "/${w.spec.name}": container is ${w.state.status}: stop the container before removing or force remove`);
      }
      await w.stop(0);
    }
    await w.runEnded();
    if (!this.byId.has(w.spec.id)) return;
    this.byId.delete(w.spec.id);
    this.retired.add(w);
    void w.logsDelivered().finally(() => this.retired.delete(w));
    this.deps.store.remove(w.spec.id);
    this.deps.event(w, 'destroy');
  }

  /** Disk use of every log spool (`system df`), the agent's workloads' and those removed workloads left. */
  spoolUsage(): SpoolUsage[] {
    return this.spools.usage();
  }

  /**
   * Deletes the spools removed workloads left with unsent lines (`system prune --spools`): the
   * outlets still sending from them give up first (their lines are not delivered, by request).
   */
  async removeLeftoverSpools(): Promise<{ dirs: string[]; bytes: number }> {
    await Promise.all([...[...this.retired].map((w) => w.abortSpooledLogs()), this.spools.drain(0)]);
    return this.spools.removeLeftovers(new Set(this.byId.keys()));
  }

  logPath(w: Workload): string {
    return keepsLocalLog(w.spec.logConfigs) ? path.join(this.deps.store.dirOf(w.spec.id), `${w.spec.id}-json.log`) : '';
  }

  /**
   * Live restore: stop reading every held workload and flush what was read; they run on, and
   * their output waits in the pipes for the next agent. Workloads without a holder are stopped.
   */
  async detachAll(drainMs = 5000): Promise<void> {
    await Promise.all(this.list().map((w) => w.detach(drainMs).catch(() => {})));
    await Promise.all([...[...this.retired].map((w) => w.drainLogs(drainMs)), this.spools.drain(drainMs)]);
  }

  /** The agent's shutdown: stops every workload, then gives log servers drainMs to take what is queued. */
  async stopAll(timeoutSec: number, drainMs = 5000): Promise<void> {
    await Promise.all(this.list().map((w) => w.stop(timeoutSec, false).catch(() => {})));
    await Promise.all([...[...this.list(), ...this.retired].map((w) => w.drainLogs(drainMs)), this.spools.drain(drainMs)]);
  }
}
