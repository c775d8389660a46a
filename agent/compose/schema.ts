import { z } from 'zod';
import { RESOURCE_FLAGS, ResourceFlag } from '../../engine/cgroups/limits';

/**
 * The shape of corral.yaml. Keys mirror `corral run`'s long flags one to one; every object is
 * strict, so a misspelt key is an error rather than silently ignored. Values are checked for
 * their type here only: the agent's own checks (units, policies, log options) come after.
 */

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const stringOrList = z.union([z.string(), z.array(z.string())]);
/** The flags that may be given several times take a list (a single string is one entry). */
const REPEATABLE: ReadonlySet<ResourceFlag> = new Set(['blkio-weight-device', 'device-read-bps', 'device-write-bps', 'device-read-iops', 'device-write-iops']);

function resourceShape(flag: ResourceFlag): z.ZodType {
  if (flag === 'oom-kill-disable') return z.boolean();
  return REPEATABLE.has(flag) ? stringOrList : z.union([z.string(), z.number()]);
}

export const RESOURCE_KEYS = Object.keys(RESOURCE_FLAGS) as ResourceFlag[];
const resources = z.strictObject(Object.fromEntries(RESOURCE_KEYS.map((f) => [f, resourceShape(f).optional()])) as Record<ResourceFlag, z.ZodOptional<z.ZodType>>);

const logEntry = z.strictObject({
  driver: z.string().min(1).optional(),
  options: z.record(z.string(), scalar).optional(),
});

const common = {
  workdir: z.string().min(1).optional(),
  /** A map (a null value takes the variable from the shell running `up`) or KEY=VALUE lines. */
  env: z.union([z.record(z.string(), z.union([scalar, z.null()])), z.array(z.string())]).optional(),
  'env-file': stringOrList.optional(),
  user: z.union([z.string().min(1), z.number().int()]).optional(),
  labels: z.union([z.record(z.string(), scalar), z.array(z.string())]).optional(),
  restart: z.string().min(1).optional(),
  resources: resources.optional(),
  logging: z.union([logEntry, z.array(logEntry).min(1)]).optional(),
};

export const workloadSchema = z.strictObject({
  /** A list is the argv; a string is split as a shell splits words (no variables, no globs). */
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
  ...common,
  /** Present: NAME-1 .. NAME-N. Absent: one workload called NAME. */
  replicas: z.number().int().min(0).optional(),
});

export const defaultsSchema = z.strictObject(common);

export const fileSchema = z.strictObject({
  defaults: defaultsSchema.optional(),
  workloads: z.record(z.string(), workloadSchema),
});

export type FileData = z.infer<typeof fileSchema>;
export type WorkloadData = z.infer<typeof workloadSchema>;
export type DefaultsData = z.infer<typeof defaultsSchema>;
export type LogEntryData = z.infer<typeof logEntry>;

/** The keys allowed where an unknown one was found, for "did you mean". */
export function keysAt(path: readonly (string | number)[]): readonly string[] {
  const last = path[path.length - 1];
  if (path.length === 0) return Object.keys(fileSchema.shape);
  if (last === 'resources') return RESOURCE_KEYS;
  if (last === 'logging' || path[path.length - 2] === 'logging') return Object.keys(logEntry.shape);
  if (path.length === 1 && last === 'defaults') return Object.keys(defaultsSchema.shape);
  if (path.length === 2 && path[0] === 'workloads') return Object.keys(workloadSchema.shape);
  return [];
}
