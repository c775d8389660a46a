import { redactValues } from '../redact';
import { Discovered, SOURCE_LABEL } from './entry';

/** What `corral events` hears of a watched workload: Docker's actions, and attributes that say where it comes from. */
export type WatchEmit = (action: string, id: string, attributes: Record<string, string>) => void;

/**
 * The lifecycle actions between two rescans' views of one workload (undefined: not there),
 * in Docker's words and order: create, start, die, destroy.
 */
export function lifecycleActions(before: Discovered | undefined, after: Discovered | undefined): string[] {
  const was = before?.state === 'running';
  const is = after?.state === 'running';
  if (!before && after) return is ? ['create', 'start'] : ['create'];
  if (before && !after) return was ? ['die', 'destroy'] : ['destroy'];
  if (was && !is) return ['die'];
  if (!was && is) return ['start'];
  return [];
}

/** Its labels (secrets redacted, as for corral's own), its name, and source: docker, systemd or cgroup. */
export function eventAttributes(d: Discovered): Record<string, string> {
  const labels: Record<string, string> = { ...d.labels };
  delete labels[SOURCE_LABEL];
  return { ...redactValues(labels), name: d.name, source: d.source };
}
