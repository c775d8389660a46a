import * as path from 'node:path';
import { DefaultsData, FileData, LogEntryData, WorkloadData } from './schema';
import { Problem } from './problems';
import { shellWords } from './shellwords';

export interface LogSetting { driver: string; options: Record<string, string> }

/** One workload of the file with `defaults` folded in and every value in one form. */
export interface ServiceConfig {
  name: string;
  command: string[];
  /** Absolute: relative paths are taken from the file's directory, which is also the default. */
  workdir: string;
  /** null: taken from the environment of `corral up`. */
  env: Record<string, string | null>;
  envFile: string[];
  user?: string;
  labels: Record<string, string>;
  restart: string;
  resources: Record<string, string | string[] | boolean>;
  logging: LogSetting[];
  replicas?: number;
}

const text = (v: string | number | boolean) => String(v);
const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** `env` as a map: `KEY=VALUE` lines split, a bare `KEY` means "from the shell" (null). */
function envMap(env: WorkloadData['env']): Record<string, string | null> {
  if (!env) return {};
  if (!Array.isArray(env)) return mapValues(env, (v) => (v === null ? null : text(v)));
  return Object.fromEntries(env.map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, null])));
}

function labelMap(labels: WorkloadData['labels']): Record<string, string> {
  if (!labels) return {};
  if (!Array.isArray(labels)) return mapValues(labels, text);
  return Object.fromEntries(labels.map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));
}

function logList(l: WorkloadData['logging']): LogEntryData[] | undefined {
  return l === undefined ? undefined : Array.isArray(l) ? l : [l];
}

/**
 * The workload's logging over the defaults', as compose merges them: one entry each with the
 * same (or no) driver merges the options; anything else replaces the defaults' entirely.
 */
function mergeLogging(d: LogEntryData[] | undefined, w: LogEntryData[] | undefined): LogSetting[] {
  const norm = (e: LogEntryData, driver?: string): LogSetting => ({ driver: e.driver ?? driver ?? 'json-file', options: mapValues(e.options ?? {}, text) });
  if (!w) return (d ?? []).map((e) => norm(e));
  if (d?.length === 1 && w.length === 1 && (!w[0]!.driver || w[0]!.driver === (d[0]!.driver ?? 'json-file'))) {
    const base = norm(d[0]!);
    return [{ driver: base.driver, options: { ...base.options, ...norm(w[0]!, base.driver).options } }];
  }
  return w.map((e) => norm(e));
}

/** Folds `defaults` into every workload (maps merge key by key, the workload's value wins). */
export function mergeServices(data: FileData, dir: string): { services: ServiceConfig[]; problems: Problem[] } {
  const d: DefaultsData = data.defaults ?? {};
  const problems: Problem[] = [];
  const services: ServiceConfig[] = [];
  for (const [name, w] of Object.entries(data.workloads)) {
    const at = ['workloads', name];
    let command: string[] = [];
    try {
      command = typeof w.command === 'string' ? shellWords(w.command) : w.command;
      if (!command.length) problems.push({ path: [...at, 'command'], message: 'has no words: give the program to run' });
    } catch (e) {
      problems.push({ path: [...at, 'command'], message: `cannot split it into words: ${(e as Error).message}` });
    }
    const labels = { ...labelMap(d.labels), ...labelMap(w.labels) };
    for (const k of Object.keys(labels)) {
      if (k.startsWith('corral.')) problems.push({ path: [...at, 'labels', k], message: 'labels starting with "corral." are corral up\'s own' });
    }
    const files = w['env-file'] ?? d['env-file'] ?? [];
    const user = w.user ?? d.user;
    services.push({
      name, command,
      workdir: path.resolve(dir, w.workdir ?? d.workdir ?? '.'),
      env: { ...envMap(d.env), ...envMap(w.env) },
      envFile: (typeof files === 'string' ? [files] : files).map((f) => path.resolve(dir, f)),
      ...(user !== undefined ? { user: String(user) } : {}),
      labels,
      restart: w.restart ?? d.restart ?? 'no',
      resources: { ...normResources(d.resources), ...normResources(w.resources) },
      logging: mergeLogging(logList(d.logging), logList(w.logging)),
      ...(w.replicas !== undefined ? { replicas: w.replicas } : {}),
    });
  }
  return { services, problems };
}

function normResources(r: DefaultsData['resources']): Record<string, string | string[] | boolean> {
  const out: Record<string, string | string[] | boolean> = {};
  for (const [k, v] of Object.entries(r ?? {})) {
    if (v === undefined) continue;
    out[k] = typeof v === 'boolean' ? v : Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}
