import * as path from 'node:path';
import { Detection } from '../../engine/cgroups';
import { WatchEmit, eventAttributes, lifecycleActions } from './changes';
import { Candidate, namedCgroups } from './cgroupdirs';
import { DockerScanner } from './docker';
import { Discovered, WatchedWorkload } from './entry';
import { CgroupOpener, oomKillsOf, startedAtOf } from './opener';
import { systemdServices } from './systemd';
import { WatchOptions } from './options';

export { WatchedWorkload } from './entry';
export type { WatchEmit } from './changes';
export { NO_WATCH } from './options';
export type { WatchOptions } from './options';

/**
 * Workloads corral did not start, found again every few seconds (a readdir or two, JSON parsed
 * only when it changed): Docker's containers, systemd's services and cgroups the operator named.
 * Read-only: their cgroups are opened for stats, never written to.
 */
export class Watcher {
  private readonly byId = new Map<string, WatchedWorkload>();
  private readonly docker: DockerScanner | undefined;
  private readonly opener: CgroupOpener;
  private readonly root: string;
  /** The kernel's OOM-kill count of each one's cgroup at the last rescan (null: unreadable). */
  private readonly kills = new Map<string, number | null>();
  /** Those there now: a named cgroup stays listed when it is gone, but for events it has gone away. */
  private readonly present = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  /** The first rescan finds what was there before the agent: no events for it. */
  private primed = false;

  /** emit: events (create, start, die, destroy, oom) for what later rescans find changed. */
  constructor(private readonly o: WatchOptions, detection: Detection, private readonly warn: (text: string) => void, private readonly emit: WatchEmit = () => {}) {
    this.opener = new CgroupOpener(detection);
    this.docker = o.docker ? new DockerScanner(o.docker) : undefined;
    this.root = path.posix.normalize(`/${o.cgroupRoot}`);
  }

  /** The first scan, then one every rescanMs. */
  async start(): Promise<void> {
    if (!this.o.docker && !this.o.systemd && !this.o.cgroups.length) return;
    await this.rescan();
    this.timer = setInterval(() => void this.rescan(), this.o.rescanMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const w of this.byId.values()) w.close();
    this.byId.clear();
  }

  list(): WatchedWorkload[] {
    return [...this.byId.values()].sort((a, b) => a.info.name.localeCompare(b.info.name));
  }

  /** By prefixed name (docker:web), full id or unique id prefix. */
  find(ref: string): WatchedWorkload | undefined {
    const all = [...this.byId.values()];
    const exact = this.byId.get(ref) ?? all.find((w) => w.info.name === ref);
    if (exact || !ref) return exact;
    const byPrefix = all.filter((w) => w.info.id.startsWith(ref));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  async rescan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const before = new Map([...this.byId].map(([id, w]) => [id, { info: w.info, kills: this.kills.get(id) ?? null, present: this.present.has(id) }]));
      const seen = new Set<string>();
      for (const c of this.candidates()) {
        if (seen.has(c.found.id)) continue;
        seen.add(c.found.id);
        await this.refresh(c);
      }
      for (const [id, w] of this.byId) if (!seen.has(id)) { w.close(); this.byId.delete(id); this.kills.delete(id); this.present.delete(id); }
      if (this.primed) this.announce(before);
      this.primed = true;
    } catch (e) {
      this.warn(`watch: rescan failed: ${(e as Error).message}`);
    } finally {
      this.scanning = false;
    }
  }

  /** Events for what changed since the last rescan: OOM kills first, then create/start/die/destroy (Docker's order). */
  private announce(before: Map<string, { info: Discovered; kills: number | null; present: boolean }>): void {
    for (const [id, w] of this.byId) {
      const b = before.get(id);
      const now = this.kills.get(id) ?? null;
      // One event per kill, as Docker's per OOM; a burst is capped (the count is in metrics).
      const counted = b && b.kills !== null && now !== null ? Math.min(now - b.kills, 100) : 0;
      // dockerd removes a container's cgroup as it dies, maybe before a rescan read it: its OOMKilled flag says so too.
      const flagged = b && w.info.source === 'docker' && w.info.oomKillCount > b.info.oomKillCount ? 1 : 0;
      const added = Math.max(counted, flagged);
      for (let i = 0; i < added; i++) this.emit('oom', id, eventAttributes(w.info));
      for (const a of lifecycleActions(b?.present ? b.info : undefined, this.present.has(id) ? w.info : undefined)) this.emit(a, id, eventAttributes(w.info));
    }
    for (const [id, b] of before) {
      if (!this.byId.has(id) && b.present) for (const a of lifecycleActions(b.info, undefined)) this.emit(a, id, eventAttributes(b.info));
    }
  }

  private candidates(): Candidate[] {
    const inRoot = (c: Candidate): Candidate => ({ ...c, cgroups: c.cgroups.map((p) => path.posix.join(this.root, p)) });
    return [
      ...(this.docker?.scan().map(inRoot) ?? []),
      ...(this.o.systemd ? systemdServices(this.opener, this.root) : []),
      ...namedCgroups(this.o.cgroups, this.opener),
    ];
  }

  private async refresh(c: Candidate): Promise<void> {
    const w = this.byId.get(c.found.id);
    // A stopped container has no stats (dockerd removes its cgroup anyway).
    const live = c.found.source !== 'docker' || c.found.state === 'running';
    const cgPath = (live && c.cgroups.find((p) => this.opener.exists(p))) || '';
    // Opened afresh each time: limits changed meanwhile (docker update) are read back, and a
    // cgroup made again under the same path (a restarted container) is the new one.
    const handle = cgPath ? await this.opener.open(cgPath).catch(() => undefined) : undefined;
    const found: Discovered = { ...c.found, cgroupPath: cgPath || (w?.info.cgroupPath ?? '') };
    if (found.source === 'docker' || cgPath) this.present.add(found.id); else this.present.delete(found.id);
    const kills = handle ? oomKillsOf(handle) : null;
    // Kept while the cgroup is gone for a moment (a restarting container): a new one starts over from its own count.
    if (kills !== null || !this.kills.has(found.id)) this.kills.set(found.id, kills);
    if (found.source !== 'docker') {
      // Known by the cgroup only: running while processes are in it.
      let pids: number[] = [];
      try { pids = handle?.pids() ?? []; } catch { /* removed meanwhile */ }
      found.state = pids.length ? 'running' : 'exited';
      found.startedAt = startedAtOf(pids);
      found.pid = pids[0] ?? 0;
      found.oomKillCount = kills ?? w?.info.oomKillCount ?? 0;
    }
    if (w) w.update(found, handle);
    else this.byId.set(found.id, new WatchedWorkload(found, handle));
  }
}
