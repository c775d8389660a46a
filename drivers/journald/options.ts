import { OptionError, unknownOption } from '../../engine/logs/driver';
import { ATTR_OPTS, checkAttrOptions } from '../shared/attrs';
import { parseBool } from '../json-file/options';
import { checkTag } from '../shared/tag';

export interface JournaldOptions {
  /** The `tag` template (Docker's default: the short id); expanded per workload. */
  tag: string;
  /** labels, labels-regex, env, env-regex as given, resolved per workload. */
  attrs: Record<string, string>;
  /**
   * `journald-require` (default true): with no journal socket, `run` fails. With false the run
   * warns and keeps its lines in corral's local json-file cache instead.
   */
  require: boolean;
  /** The journal's native socket (`journald-socket`, for a journald with its own runtime folder). */
  socket: string;
}

export const DEFAULT_SOCKET = '/run/systemd/journal/socket';

const KEYS = new Set<string>(['tag', 'journald-require', 'journald-socket', ...ATTR_OPTS]);

/** Docker's journald options (tag, labels, env and their regexes) plus corral's own journald-*. */
export function parseJournaldOptions(opts: Readonly<Record<string, string>>): JournaldOptions {
  for (const k of Object.keys(opts)) if (!KEYS.has(k)) throw unknownOption(k, 'journald');
  checkAttrOptions(opts);
  const attrs: Record<string, string> = {};
  for (const k of ATTR_OPTS) if (opts[k] !== undefined) attrs[k] = opts[k]!;
  let require = true;
  const r = opts['journald-require'];
  if (r !== undefined && r !== '') {
    const v = parseBool(r);
    if (v === undefined) throw new OptionError(`invalid value "${r}" for log opt journald-require: expected true or false`);
    require = v;
  }
  const socket = opts['journald-socket'] || DEFAULT_SOCKET;
  if (!socket.startsWith('/')) throw new OptionError(`invalid value "${socket}" for log opt journald-socket: expected an absolute path to the journal's native socket`);
  if (Buffer.byteLength(socket) > 107) throw new OptionError(`invalid value "${socket}" for log opt journald-socket: a unix socket path is at most 107 bytes`);
  const tag = opts['tag'] || '{{.ID}}';
  checkTag(tag);
  return { tag, attrs, require, socket };
}
