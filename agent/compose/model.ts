import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { CreateRequest } from '../manager';
import { createRequest } from '../cli/runflags';
import { fileSchema } from './schema';
import { schemaProblems } from './issues';
import { Loaded, lineOf } from './load';
import { ServiceConfig, mergeServices } from './merge';
import { ComposeError, KeyPath, Problem, sortedUnique } from './problems';

/** Labels `up` puts on its workloads, to find them again and to know what changed. */
export const LABEL = { project: 'corral.project', service: 'corral.service', hash: 'corral.config-hash', file: 'corral.config-file' } as const;

export interface Service extends ServiceConfig {
  /** The create request of every replica, without its name and corral's labels. */
  request: CreateRequest;
  /** Of everything but the resources (those are compared with what the agent has). */
  hash: string;
}

export interface Project { name: string; file: string; display: string; services: Service[] }

export interface Instance { name: string; service: string; request: CreateRequest; hash: string }

/**
 * The file's workloads ready to create: shape checked, defaults merged, env files read (with
 * `run`'s own code). Every mistake is collected, with its line, before anything is thrown.
 */
export function buildProject(l: Loaded, name: string): Project {
  const withLines = (ps: Problem[]) => sortedUnique(ps.map((p) => ({ ...p, line: lineOf(l, p.path) })));
  const parsed = fileSchema.safeParse(l.data ?? {}, { reportInput: true });
  if (!parsed.success) throw new ComposeError(l.display, withLines(schemaProblems(parsed.error.issues)));
  const { services: configs, problems } = mergeServices(parsed.data, path.dirname(l.file));
  const services: Service[] = [];
  for (const s of configs) {
    try {
      services.push(serviceOf(s));
    } catch (e) {
      const key = /--env-file/.test((e as Error).message) ? 'env-file' : 'env';
      problems.push({ path: ['workloads', s.name, key], message: (e as Error).message });
    }
  }
  problems.push(...nameClashes(services));
  if (problems.length) throw new ComposeError(l.display, withLines(problems));
  return { name, file: l.file, display: l.display, services };
}

function serviceOf(s: ServiceConfig): Service {
  // Sorted: the map's order means nothing, and must not change the hash.
  const env = Object.entries(s.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => (v === null ? k : `${k}=${v}`));
  const scoped = s.logging.length > 1;
  const logOpt = s.logging.flatMap((e) => Object.entries(e.options).map(([k, v]) => `${scoped ? `${e.driver}:` : ''}${k}=${v}`));
  const req = createRequest({
    env, envFile: s.envFile, workdir: s.workdir, user: s.user, label: [], restart: s.restart,
    logDriver: s.logging.map((e) => e.driver), logOpt,
  }, s.command[0] ?? '', s.command.slice(1));
  // Labels are not parsed from text: a value may hold '='.
  req.labels = { ...s.labels };
  req.resources = { ...s.resources };
  const { resources: _ignored, name: _none, ...hashed } = req;
  return { ...s, request: req, hash: sha256(stable(hashed)) };
}

/** NAME for one, NAME-1 .. NAME-N with `replicas`. */
export function instanceNames(s: Pick<ServiceConfig, 'name' | 'replicas'>): string[] {
  return s.replicas === undefined ? [s.name] : Array.from({ length: s.replicas }, (_, i) => `${s.name}-${i + 1}`);
}

export function instances(p: Project): Instance[] {
  return p.services.flatMap((s) => instanceNames(s).map((name) => ({
    name, service: s.name, hash: s.hash,
    request: { ...s.request, name, labels: { ...s.request.labels, [LABEL.project]: p.name, [LABEL.service]: s.name, [LABEL.hash]: s.hash, [LABEL.file]: p.file } },
  })));
}

function nameClashes(services: readonly Service[]): Problem[] {
  const owner = new Map<string, string>();
  const out: Problem[] = [];
  for (const s of services) {
    for (const n of instanceNames(s)) {
      const other = owner.get(n);
      if (other !== undefined) out.push({ path: ['workloads', s.name] as KeyPath, message: `its workload "${n}" has the same name as one of "${other}"` });
      else owner.set(n, s.name);
    }
  }
  return out;
}

/** JSON with object keys sorted, so reordering a map in the file changes no hash. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
