import { ResourceFlags } from '../../engine/cgroups/limits';
import { HostLimits, limitsChange } from './liveupdate';
import { Instance, LABEL } from './model';

/** A workload the agent has, as `up` needs to see it. */
export interface Current { id: string; name: string; labels: Readonly<Record<string, string>>; running: boolean; limits: HostLimits }

/** A workload the file wants, with the limits the agent's dry run made of its resources. */
export interface Desired extends Instance { limits: HostLimits }

export type Action =
  | { do: 'create'; name: string; desired: Desired }
  | { do: 'recreate'; name: string; id: string; desired: Desired; why: string }
  | { do: 'update'; name: string; id: string; flags: ResourceFlags; fields: string[]; start: boolean }
  | { do: 'start'; name: string; id: string }
  | { do: 'remove'; name: string; id: string }
  | { do: 'keep'; name: string; id: string };

/** The project's own workloads: those `up` created for it. */
export function ownedBy(project: string, current: readonly Current[]): Current[] {
  return current.filter((c) => c.labels[LABEL.project] === project);
}

/** Workloads the file wants whose name another project, or a plain `run`, already uses. */
export function foreignClashes(project: string, desired: readonly Instance[], current: readonly Current[]): { wanted: Instance; holder: Current }[] {
  const byName = new Map(current.map((c) => [c.name, c]));
  return desired.flatMap((d) => {
    const holder = byName.get(d.name);
    return holder && holder.labels[LABEL.project] !== project ? [{ wanted: d, holder }] : [];
  });
}

/**
 * What `up` does to get from the current workloads to the file's, as compose does: removed
 * from the file (or scaled away) -> remove; new -> create; the recreate-only settings changed
 * (config hash) -> recreate; only limits changed -> live update when `update` can express it;
 * a stopped one is started; the rest is left alone. Removals come first, freeing names.
 */
export function plan(project: string, desired: readonly Desired[], current: readonly Current[]): Action[] {
  const ours = new Map(ownedBy(project, current).map((c) => [c.name, c]));
  const wanted = new Set(desired.map((d) => d.name));
  const actions: Action[] = [];
  for (const c of ours.values()) if (!wanted.has(c.name)) actions.push({ do: 'remove', name: c.name, id: c.id });
  for (const d of desired) {
    const c = ours.get(d.name);
    if (!c) { actions.push({ do: 'create', name: d.name, desired: d }); continue; }
    if (c.labels[LABEL.hash] !== d.hash) { actions.push({ do: 'recreate', name: d.name, id: c.id, desired: d, why: 'its settings changed' }); continue; }
    const change = limitsChange(c.limits, d.limits);
    if (change.kind === 'recreate') actions.push({ do: 'recreate', name: d.name, id: c.id, desired: d, why: change.why });
    else if (change.kind === 'update') actions.push({ do: 'update', name: d.name, id: c.id, flags: change.flags, fields: change.fields, start: !c.running });
    else actions.push(c.running ? { do: 'keep', name: d.name, id: c.id } : { do: 'start', name: d.name, id: c.id });
  }
  return actions;
}
