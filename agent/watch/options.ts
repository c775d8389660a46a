import { Command } from 'commander';

/** What the agent watches besides its own workloads. */
export interface WatchOptions {
  /** Docker's data root (its containers/ folder is read); null: Docker is not watched. */
  docker: string | null;
  systemd: boolean;
  /** Cgroup paths the operator named, inside the hierarchy ("/myapp/worker"). */
  cgroups: string[];
  /** Where discovery looks for /docker and /system.slice: "/" but for tests, which use a parent of their own. */
  cgroupRoot: string;
  rescanMs: number;
}

export const DEFAULT_DOCKER_ROOT = '/var/lib/docker';

/** Nothing but corral's own workloads. */
export const NO_WATCH: WatchOptions = Object.freeze({ docker: null, systemd: false, cgroups: [], cgroupRoot: '/', rescanMs: 3000 });

export interface WatchFlags { watchDocker?: string | boolean; watchSystemd?: boolean; watchCgroup?: string[] }

/** `corral agent --watch-docker[=DIR] --watch-systemd --watch-cgroup PATH...` (and their env equivalents). */
export function addWatchOptions(cmd: Command): Command {
  return cmd
    .option('--watch-docker [dir]', `also show Docker's containers, read-only, from DIR (default ${DEFAULT_DOCKER_ROOT}; env CORRAL_WATCH_DOCKER=DIR or 1)`)
    .option('--watch-systemd', 'also show systemd services (system.slice/*.service), read-only (env CORRAL_WATCH_SYSTEMD=1)')
    .option('--watch-cgroup <path>', 'also show this cgroup, read-only; repeatable (env CORRAL_WATCH_CGROUPS=PATH:PATH)', (v: string, all: string[] = []) => [...all, v]);
}

/**
 * Flags win over the environment. CORRAL_WATCH_CGROUP_ROOT and CORRAL_WATCH_RESCAN_MS are for
 * tests: discovery under their own cgroup, and rescans quicker than every 3 s.
 */
export function watchOptionsOf(f: WatchFlags, env: NodeJS.ProcessEnv = process.env): WatchOptions {
  const dockerEnv = env['CORRAL_WATCH_DOCKER'];
  const docker = f.watchDocker ?? (dockerEnv && dockerEnv !== '0' ? (dockerEnv === '1' ? true : dockerEnv) : undefined);
  return {
    docker: docker === undefined || docker === false ? null : docker === true ? DEFAULT_DOCKER_ROOT : docker,
    systemd: !!f.watchSystemd || env['CORRAL_WATCH_SYSTEMD'] === '1',
    cgroups: f.watchCgroup ?? (env['CORRAL_WATCH_CGROUPS'] ?? '').split(':').filter(Boolean),
    cgroupRoot: env['CORRAL_WATCH_CGROUP_ROOT'] || '/',
    rescanMs: /^\d+$/.test(env['CORRAL_WATCH_RESCAN_MS'] ?? '') ? Math.max(Number(env['CORRAL_WATCH_RESCAN_MS']), 50) : 3000,
  };
}
