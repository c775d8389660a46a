import { ResourceFlags } from '../../engine/cgroups';
import { badRequest } from '../errors';
import type { CreateRequest } from '../manager';

/**
 * The API's request bodies checked for shape at the edge: anyone on the socket can send any
 * JSON, and a number where text belongs must be a 400 naming the field, not a TypeError
 * deep inside (a 500) or a spec that breaks at start. Values are checked later, by the parsers.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown) => typeof v === 'string';
const texts = (v: unknown) => Array.isArray(v) && v.every(text);
const textMap = (v: unknown) => isObject(v) && Object.values(v).every(text);

/** Field -> its check, the form it must have, and the CLI flag that fills it. null or absent = not given. */
const CREATE_FIELDS: Record<keyof CreateRequest, [(v: unknown) => boolean, string, string]> = {
  name: [text, 'text', '--name'],
  path: [text, 'text', 'the command'],
  args: [texts, 'a list of texts', 'the arguments'],
  env: [texts, 'a list of KEY=VALUE texts', '--env'],
  workingDir: [text, 'text', '--workdir'],
  user: [text, 'text', '--user'],
  labels: [textMap, 'an object of texts', '--label'],
  restart: [text, 'text', '--restart'],
  autoRemove: [(v) => typeof v === 'boolean', 'true or false', '--rm'],
  logDriver: [(v) => text(v) || texts(v), 'text or a list of texts', '--log-driver'],
  logOpts: [textMap, 'an object of texts', '--log-opt'],
  resources: [isObject, 'an object of flag names to values', 'the resource flags'],
};

function fieldError(what: string, key: string, form: string, flag: string, v: unknown): Error {
  return badRequest(`invalid ${what}: "${key}" (${flag}) must be ${form}, not ${JSON.stringify(v).slice(0, 80)}`);
}

/** POST /workloads: the body as a CreateRequest, or a 400 naming the first field of the wrong shape. */
export function createRequestOf(body: unknown): CreateRequest {
  if (body === undefined || body === null) return {} as CreateRequest;
  if (!isObject(body)) throw badRequest('invalid create request: the body must be a JSON object');
  for (const [key, [ok, form, flag]] of Object.entries(CREATE_FIELDS)) {
    const v = body[key];
    if (v !== undefined && v !== null && !ok(v)) throw fieldError('create request', key, form, flag, v);
  }
  return body as unknown as CreateRequest;
}

/** POST /workloads/<ref>/update: its `resources`, or a 400. */
export function updateResourcesOf(body: unknown): ResourceFlags {
  if (body === undefined || body === null) return {};
  if (!isObject(body)) throw badRequest('invalid update request: the body must be a JSON object');
  const r = body['resources'];
  if (r === undefined || r === null) return {};
  if (!isObject(r)) throw fieldError('update request', 'resources', 'an object of flag names to values', 'the resource flags', r);
  return r as ResourceFlags;
}
