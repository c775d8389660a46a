import { Status } from './spec';

/**
 * What a config.json must hold for the agent to take it back: anything on disk may have been
 * cut short, hand-edited or written by another version. A record that fails here is skipped
 * (and said so) instead of crashing the agent at start or breaking `ps` for every workload later.
 * Only the fields the agent relies on are checked; missing newer fields get their defaults elsewhere.
 */

const STATUSES: readonly Status[] = ['created', 'running', 'restarting', 'exited', 'dead', 'removing'];
const RESTART_NAMES = ['no', 'on-failure', 'always', 'unless-stopped'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown) => typeof v === 'string';
const isTexts = (v: unknown) => Array.isArray(v) && v.every(isText);
const isTextMap = (v: unknown) => isObj(v) && Object.values(v).every(isText);
/** pids must be whole and not negative: the agent signals -pid, and -(-1234) is someone else's process. */
const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isLogConfig = (v: unknown) => isObj(v) && isText(v['type']) && isTextMap(v['config']);

const SPEC: Record<string, (v: unknown) => boolean> = {
  name: isText, created: isText, path: isText, args: isTexts, env: isTexts, workingDir: isText, user: isText,
  labels: isTextMap, autoRemove: (v) => typeof v === 'boolean',
  restartPolicy: (v) => isObj(v) && RESTART_NAMES.includes(v['name'] as string) && isCount(v['maximumRetryCount']),
  limits: (v) => v === undefined || isObj(v),
};

const STATE: Record<string, (v: unknown) => boolean> = {
  status: (v) => STATUSES.includes(v as Status), pid: isCount, exitCode: (v) => Number.isSafeInteger(v),
  startedAt: isText, finishedAt: isText, pidStartTime: isText, restartCount: isCount,
  holderPid: (v) => v === undefined || isCount(v), holderStartTime: (v) => v === undefined || isText(v),
};

/** Why `v` (read from `<id>/config.json`) is not a workload record, or undefined when it is one. */
export function recordProblem(v: unknown, id: string): string | undefined {
  if (!isObj(v)) return 'config.json holds no JSON object';
  const { spec, state } = v;
  if (!isObj(spec)) return '"spec" is missing';
  if (!isObj(state)) return '"state" is missing';
  if (spec['id'] !== id) return `"spec.id" is ${JSON.stringify(spec['id'])}, not the folder's name`;
  for (const [k, ok] of Object.entries(SPEC)) if (!ok(spec[k])) return `"spec.${k}" is missing or malformed`;
  // Specs written before several drivers were possible have one `logConfig`.
  const configs = spec['logConfigs'] ?? (spec['logConfig'] === undefined ? undefined : [spec['logConfig']]);
  if (!Array.isArray(configs) || !configs.length || !configs.every(isLogConfig)) return '"spec.logConfigs" is missing or malformed';
  for (const [k, ok] of Object.entries(STATE)) if (!ok(state[k])) return `"state.${k}" is missing or malformed`;
  return undefined;
}
