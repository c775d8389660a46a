import * as fs from 'node:fs';
import * as path from 'node:path';
import { DriverContext } from '../engine/logs/driver';
import { Outlet, closeWithin } from '../engine/logs/outlet';
import { readSpoolMeta, spoolHasData } from '../engine/logs/spoolrecover';
import { SpoolSet } from '../engine/logs/spoolset';
import { LogConfig } from '../engine/workloads/spec';

/** What a spool keeps about whose lines it holds (its meta.json), so they can be sent after the workload is gone. */
export interface SpoolOwner {
  log: LogConfig;
  workload: { id: string; name: string; labels: Record<string, string>; env: string[]; created: string };
}

const ID = /^[0-9a-f]{64}$/;

/**
 * The agent's log spools: the open ones (shared by consecutive runs), `<data-root>/spool` (what
 * `spool-dir=default` means), the other folders `spool-dir` named (listed in `<data-root>/spool-roots`
 * so they are found after a restart), and the outlets sending what removed workloads left.
 */
export class AgentSpools {
  readonly set = new SpoolSet();
  readonly root: string;
  private readonly rootsFile: string;
  private readonly roots = new Set<string>();
  private readonly sending = new Set<Outlet>();

  constructor(dataRoot: string, private readonly warn: (text: string) => void) {
    this.root = path.join(dataRoot, 'spool');
    this.rootsFile = path.join(dataRoot, 'spool-roots');
    try {
      for (const l of fs.readFileSync(this.rootsFile, 'utf8').split('\n')) if (path.isAbsolute(l)) this.roots.add(l);
    } catch { /* none used yet */ }
  }

  /** A spool-dir in use: remembered, so what it holds is found after a restart even if its workload is gone. */
  remember(root: string): void {
    if (root === this.root || this.roots.has(root)) return;
    this.roots.add(root);
    try {
      fs.appendFileSync(this.rootsFile, `${root}\n`, { mode: 0o600 });
    } catch (e) {
      this.warn(`spool-dir ${root} not recorded in ${this.rootsFile} (after a restart, what a removed workload left there is not sent): ${(e as Error).message}`);
    }
  }

  /** Every spool folder under every root (`<root>/<workload-id>/<driver>/`), whether it holds lines or not. */
  private folders(): { dir: string; id: string; driver: string }[] {
    const out: { dir: string; id: string; driver: string }[] = [];
    for (const root of new Set([this.root, ...this.roots])) {
      let ids: string[];
      try { ids = fs.readdirSync(root); } catch { continue; }
      for (const id of ids.filter((n) => ID.test(n))) {
        let drivers: string[];
        try { drivers = fs.readdirSync(path.join(root, id)); } catch { continue; }
        for (const driver of drivers) out.push({ dir: path.join(root, id, driver), id, driver });
      }
    }
    return out;
  }

  /** Spools holding lines of workloads not in `live`, with their owner when meta.json says it. */
  leftovers(live: ReadonlySet<string>): { dir: string; driver: string; owner: SpoolOwner | undefined }[] {
    const out: { dir: string; driver: string; owner: SpoolOwner | undefined }[] = [];
    for (const { dir, id, driver } of this.folders()) {
      if (live.has(id) || !spoolHasData(dir)) continue;
      // The config in meta.json makes the agent connect somewhere: trust only what it wrote itself.
      const trusted = ownedByUs(dir) && ownedByUs(path.join(dir, 'meta.json'));
      out.push({ dir, driver, owner: trusted ? ownerOf(readSpoolMeta(dir), id) : undefined });
    }
    return out;
  }

  /**
   * Disk use of every spool folder (`system df`): bytes of all its files (segments, read position,
   * meta.json), by workload id; `hasData` when it holds segment files (unsent lines).
   */
  usage(): SpoolUsage[] {
    return this.folders().map(({ dir, id, driver }) => ({ dir, id, driver, bytes: folderBytes(dir), hasData: spoolHasData(dir) }));
  }

  /**
   * Deletes the spools of workloads not in `live` that hold lines (`system prune --spools`); no
   * outlet may have them open any more. Returns what went and the bytes it freed.
   */
  removeLeftovers(live: ReadonlySet<string>): { dirs: string[]; bytes: number } {
    const dirs: string[] = [];
    let bytes = 0;
    for (const u of this.usage()) {
      if (live.has(u.id) || !u.hasData) continue;
      try {
        fs.rmSync(u.dir, { recursive: true });
      } catch (e) {
        this.warn(`spool ${u.dir}: not removed: ${(e as Error).message}`);
        continue;
      }
      dirs.push(u.dir);
      bytes += u.bytes;
      try { fs.rmdirSync(path.dirname(u.dir)); } catch { /* another driver's spool is still there */ }
    }
    return { dirs, bytes };
  }

  /**
   * Sends what removed workloads left in their spools, with outlets built from the log config
   * saved with each; one without a readable config is left where it is, with a warning.
   */
  async resumeLeftovers(live: ReadonlySet<string>, open: (owner: SpoolOwner, driver: string, ctx: DriverContext) => Promise<Outlet[]>, hostname?: string): Promise<void> {
    for (const l of this.leftovers(live)) {
      if (!l.owner) {
        this.warn(`spool ${l.dir}: lines of a removed workload whose log config is unknown (no readable meta.json of the agent's own, mode 0600): left in place`);
        continue;
      }
      const w = l.owner.workload;
      const ctx: DriverContext = {
        id: w.id, name: w.name, logDir: path.dirname(l.dir), labels: w.labels, env: w.env,
        created: /^\d+$/.test(w.created) ? BigInt(w.created) : 0n, pid: () => 0, hostname,
      };
      try {
        for (const o of await open(l.owner, l.driver, ctx)) {
          this.sending.add(o);
          void o.close().finally(() => this.sending.delete(o));
        }
      } catch (e) {
        this.warn(`spool ${l.dir}: lines of removed workload ${w.name} not sent: ${(e as Error).message}`);
      }
    }
  }

  /** The agent's shutdown: graceMs for what removed workloads left, then the rest stays on disk. */
  async drain(graceMs: number): Promise<void> {
    await closeWithin([...this.sending], graceMs);
  }
}

/** One spool folder's disk use. */
export interface SpoolUsage { dir: string; id: string; driver: string; bytes: number; hasData: boolean }

/** Bytes of the files directly in dir (a spool has no subfolders); 0 when it is gone. */
function folderBytes(dir: string): number {
  let n = 0;
  let names: string[] = [];
  try { names = fs.readdirSync(dir); } catch { return 0; }
  for (const f of names) {
    try { const st = fs.statSync(path.join(dir, f)); if (st.isFile()) n += st.size; } catch { /* deleted meanwhile (sent) */ }
  }
  return n;
}

/** Owned by the agent's user and writable by nobody else. */
function ownedByUs(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The owner a meta.json names, when it is well formed and for this workload id. */
function ownerOf(meta: unknown, id: string): SpoolOwner | undefined {
  const m = meta as Partial<SpoolOwner> | undefined;
  const w = m?.workload;
  if (!m?.log || typeof m.log.type !== 'string' || typeof m.log.config !== 'object' || !w || w.id !== id || typeof w.name !== 'string') return undefined;
  return { log: m.log, workload: { id, name: w.name, labels: w.labels ?? {}, env: w.env ?? [], created: String(w.created ?? '0') } };
}
