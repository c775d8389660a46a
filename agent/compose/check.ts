import { ApiClient } from '../api/client';
import { ApiError } from '../errors';
import { CreateRequest } from '../manager';
import { HostLimits } from './liveupdate';
import { Loaded, lineOf } from './load';
import { Project, Service, instanceNames, instances } from './model';
import { Current, Desired, foreignClashes } from './plan';
import { ComposeError, KeyPath, Problem, sortedUnique } from './problems';

type DryRun = { Warnings: string[]; HostConfig: HostLimits };

/**
 * The agent checks every workload of the file with the code `run` goes through, creating
 * nothing (`POST /workloads?dryRun=1`). Any refusal, or a name another project holds, fails
 * the whole file: each problem with the line and key it came from.
 */
export async function checkProject(c: ApiClient, l: Loaded, p: Project, current: readonly Current[]): Promise<{ desired: Desired[]; warnings: string[] }> {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const limits = new Map<string, HostLimits>();
  for (const s of p.services) {
    const req = { ...s.request, name: instanceNames(s)[0] ?? s.name };
    try {
      const r = await c.json<DryRun>('POST', '/workloads?dryRun=1', req);
      limits.set(s.name, r.HostConfig);
      warnings.push(...r.Warnings.map((w) => `${s.name}: ${w}`));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 400) throw e;
      for (const x of await diagnose(c, s, req, e.message)) problems.push({ ...x, path: origin(l, x.path) });
    }
  }
  const desired = instances(p).map((i) => ({ ...i, limits: limits.get(i.service) ?? {} }));
  for (const { wanted, holder } of foreignClashes(p.name, desired, current)) {
    const whose = holder.labels['corral.project'] ? `project "${holder.labels['corral.project']}"` : 'no project (corral run?)';
    problems.push({ path: ['workloads', wanted.service], message: `the name "${wanted.name}" is taken by workload ${holder.id.slice(0, 12)} of ${whose}: remove or rename one` });
  }
  if (problems.length) throw new ComposeError(l.display, sortedUnique(problems.map((x) => ({ ...x, line: lineOf(l, x.path) }))));
  return { desired, warnings };
}

/**
 * Which keys a refusal is about. The agent stops at a workload's first mistake, so each part of
 * the request (resources, logging, restart, user) is tried alone: every part that fails is
 * reported with its own message, at the key its message names (or that fails alone).
 */
async function diagnose(c: ApiClient, s: Service, req: CreateRequest, message: string): Promise<Problem[]> {
  const at = ['workloads', s.name];
  const refusal = (part: Partial<CreateRequest>) => c.json('POST', '/workloads?dryRun=1', { path: req.path, name: req.name, ...part })
    .then(() => undefined, (e: unknown) => { if (e instanceof ApiError && e.status === 400) return e.message; throw e; });
  const alone = await refusal({});
  if (alone !== undefined) return [{ path: at, message: alone }];
  const out: Problem[] = [];
  const res = Object.keys(s.resources).length ? await refusal({ resources: req.resources }) : undefined;
  if (res !== undefined) out.push(await resourceProblem(s, res, at, (k, v) => refusal({ resources: { [k]: v } })));
  const log = s.logging.length ? await refusal({ logDriver: req.logDriver, logOpts: req.logOpts }) : undefined;
  if (log !== undefined) out.push({ path: logKey(s, log, at), message: log });
  const restart = await refusal({ restart: req.restart });
  if (restart !== undefined) out.push({ path: [...at, 'restart'], message: restart });
  const user = s.user !== undefined ? await refusal({ user: req.user }) : undefined;
  if (user !== undefined) out.push({ path: [...at, 'user'], message: user });
  return out.length ? out : [{ path: at, message }];
}

/** At the resource key a refusal names (`--memory`), else the first that fails alone, else `resources`. */
async function resourceProblem(s: Service, message: string, at: KeyPath, alone: (k: string, v: unknown) => Promise<string | undefined>): Promise<Problem> {
  const named = /--([a-z-]+)/.exec(message)?.[1];
  if (named && named in s.resources) return { path: [...at, 'resources', named], message };
  for (const [k, v] of Object.entries(s.resources)) {
    // Located at the key that fails alone, but said as the agent said it of them all together.
    if (await alone(k, v) !== undefined) return { path: [...at, 'resources', k], message };
  }
  return { path: [...at, 'resources'], message };
}

/** The logging key a message names: the option it mentions first, else the driver, else `logging`. */
function logKey(s: Service, message: string, at: KeyPath): KeyPath {
  let best: { pos: number; path: KeyPath } | undefined;
  const entry = (i: number) => (s.logging.length > 1 ? [...at, 'logging', i] : [...at, 'logging']);
  s.logging.forEach((e, i) => {
    for (const k of Object.keys(e.options)) {
      const pos = message.search(new RegExp(`(?<![\\w-])${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`));
      if (pos >= 0 && (!best || pos < best.pos)) best = { pos, path: [...entry(i), 'options', k] };
    }
  });
  if (best) return best.path;
  const i = s.logging.findIndex((e) => message.includes(`'${e.driver}'`));
  return i >= 0 ? [...entry(i), 'driver'] : [...at, 'logging'];
}

/**
 * Where a merged value was written: under the workload, as a one-entry list, or in `defaults`
 * (a bad default is reported at its own line, not at every workload's).
 */
function origin(l: Loaded, p: KeyPath): KeyPath {
  const li = p.indexOf('logging');
  const forms = li >= 0 && typeof p[li + 1] !== 'number' ? [p, [...p.slice(0, li + 1), 0, ...p.slice(li + 1)]] : [p];
  for (const f of forms) if (f.length > 2 && l.doc.hasIn(f)) return f;
  for (const f of forms) if (f.length > 2 && l.doc.hasIn(['defaults', ...f.slice(2)])) return ['defaults', ...f.slice(2)];
  return p;
}
