import { neededControllers } from './controller';
import { hasLimits, Limits, LimitsError, NO_LIMITS } from './limits';
import { CgroupBackend, CgroupHandle, emptyStats } from './types';

function refuse(l: Limits, reason: string): void {
  if (!hasLimits(l)) return;
  const flag = neededControllers(l).values().next().value ?? 'cgroups';
  throw new LimitsError(flag, `--${flag}: ${reason}`);
}

/**
 * No usable cgroups (not root, nothing delegated, nothing mounted): workloads still run and
 * log, without a cgroup; any limit is refused with the reason instead of being ignored.
 */
export class NoCgroups implements CgroupBackend {
  readonly version = null;
  constructor(readonly reason: string) {}

  check(l: Limits): void {
    refuse(l, this.reason);
  }

  async create(_name: string, l: Limits): Promise<CgroupHandle> {
    refuse(l, this.reason);
    return nullHandle(this.reason);
  }

  async adopt(): Promise<CgroupHandle> {
    return nullHandle(this.reason);
  }

  async open(): Promise<CgroupHandle> {
    return nullHandle(this.reason);
  }

  list(): string[] {
    return [];
  }

  async cleanupLeftovers() {
    return { removed: [], busy: [] };
  }
}

function nullHandle(reason: string): CgroupHandle {
  return {
    path: '', dirs: [], limits: NO_LIMITS,
    procsFiles: () => [],
    join: async () => undefined,
    pids: () => [],
    setLimits: async (l) => refuse(l, reason),
    stats: async () => ({ stats: emptyStats(), errors: [] }),
    statsSync: () => emptyStats(),
    oomCounter: () => null,
    kill: async () => undefined,
    beforeDestroy: () => () => undefined,
    destroy: async () => undefined,
    close: () => undefined,
  };
}
