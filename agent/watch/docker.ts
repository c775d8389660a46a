import * as fs from 'node:fs';
import * as path from 'node:path';
import { Limits, NO_LIMITS } from '../../engine/cgroups';
import { Status } from '../../engine/workloads/spec';
import { Discovered } from './entry';

/** The parts of Docker's container/config.v2.json read here. */
interface ConfigV2 {
  Name?: string;
  RestartCount?: number;
  State?: {
    Running?: boolean; Restarting?: boolean; Dead?: boolean; RemovalInProgress?: boolean; OOMKilled?: boolean;
    Pid?: number; StartedAt?: string;
  };
  Config?: { Labels?: Record<string, string> | null };
}

/** The parts of hostconfig.json read here (0 / "" / null mean unset, as in Docker). */
interface HostConfig {
  LogConfig?: { Type?: string };
  CgroupParent?: string;
  Memory?: number; MemorySwap?: number; MemoryReservation?: number; NanoCpus?: number; CpuShares?: number;
  CpuPeriod?: number; CpuQuota?: number; CpusetCpus?: string; CpusetMems?: string; PidsLimit?: number | null;
}

interface Parsed { stamp: string; config: ConfigV2; host: HostConfig }

const ID = /^[0-9a-f]{64}$/;

function stateOf(s: ConfigV2['State'] = {}): Status {
  if (s.RemovalInProgress) return 'removing';
  if (s.Dead) return 'dead';
  if (s.Running) return s.Restarting ? 'restarting' : 'running';
  // Go's zero time: never started.
  return !s.StartedAt || s.StartedAt.startsWith('0001-') ? 'created' : 'exited';
}

const set = (v: number | null | undefined) => (v ? v : null);

/** Docker's limits of a container whose cgroup can't be read (stopped): what hostconfig.json asks for. */
export function limitsOf(h: HostConfig): Limits {
  return {
    ...NO_LIMITS, memory: set(h.Memory), memorySwap: h.MemorySwap && h.MemorySwap > 0 ? h.MemorySwap : null,
    memoryReservation: set(h.MemoryReservation), cpuShares: set(h.CpuShares), nanoCpus: set(h.NanoCpus),
    cpuPeriod: set(h.CpuPeriod), cpuQuota: h.CpuQuota && h.CpuQuota > 0 ? h.CpuQuota : null,
    cpusetCpus: h.CpusetCpus || null, cpusetMems: h.CpusetMems || null, pidsLimit: h.PidsLimit && h.PidsLimit > 0 ? h.PidsLimit : null,
  };
}

/** Where Docker puts a container's cgroup: cgroupfs driver (/docker/<id>) or systemd driver (docker-<id>.scope). */
export function cgroupCandidates(id: string, cgroupParent = ''): string[] {
  const parents = cgroupParent ? [`/${cgroupParent.replace(/^\/+|\/+$/g, '')}`] : [];
  return [`/docker/${id}`, `/system.slice/docker-${id}.scope`, ...parents.flatMap((p) => [`${p}/${id}`, `${p}/docker-${id}.scope`])];
}

/**
 * Docker's containers from its data root (`<dir>/containers/<id>/`), read as Docker left them.
 * The JSON is parsed again only when a file's mtime changes, so a rescan is a readdir and stats.
 */
export class DockerScanner {
  private readonly cache = new Map<string, Parsed>();

  constructor(private readonly dir: string) {}

  scan(): Array<{ found: Omit<Discovered, 'cgroupPath'>; cgroups: string[] }> {
    const root = path.join(this.dir, 'containers');
    let ids: string[] = [];
    try { ids = fs.readdirSync(root).filter((n) => ID.test(n)); } catch { /* Docker not installed (yet) */ }
    const out: Array<{ found: Omit<Discovered, 'cgroupPath'>; cgroups: string[] }> = [];
    for (const id of ids) {
      const p = this.read(path.join(root, id), id);
      if (!p) continue;
      const { config: c, host: h } = p;
      const state = stateOf(c.State);
      const json = (h.LogConfig?.Type ?? 'json-file') === 'json-file';
      out.push({
        found: {
          source: 'docker', id, name: `docker:${(c.Name ?? id.slice(0, 12)).replace(/^\//, '')}`, state,
          startedAt: state === 'running' && c.State?.StartedAt ? Date.parse(c.State.StartedAt) / 1000 || 0 : 0,
          labels: c.Config?.Labels ?? {}, restartCount: c.RestartCount ?? 0, oomKillCount: c.State?.OOMKilled ? 1 : 0,
          limits: state === 'running' ? null : limitsOf(h), pid: c.State?.Pid ?? 0,
          // json-file always writes <container root>/<id>-json.log (LogPath may name an older data root).
          logPath: json ? path.join(root, id, `${id}-json.log`) : '',
          logNote: json ? '' : `logging driver "${h.LogConfig?.Type}" does not write a json-file log corral can read`,
        },
        cgroups: cgroupCandidates(id, h.CgroupParent),
      });
    }
    for (const id of this.cache.keys()) if (!ids.includes(id)) this.cache.delete(id);
    return out;
  }

  private read(dir: string, id: string): Parsed | undefined {
    const files = ['config.v2.json', 'hostconfig.json'].map((f) => path.join(dir, f));
    let stamp = '';
    try { stamp = files.map((f) => fs.statSync(f).mtimeMs).join(','); } catch { return this.cache.get(id); }
    const had = this.cache.get(id);
    if (had?.stamp === stamp) return had;
    try {
      const [config, host] = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as unknown);
      const p: Parsed = { stamp, config: (config ?? {}) as ConfigV2, host: (host ?? {}) as HostConfig };
      this.cache.set(id, p);
      return p;
    } catch {
      // Docker replaces these files atomically, but a half-made container may have neither yet.
      return had;
    }
  }
}
