import { OptionError, unknownOption } from '../../engine/logs/driver';
import { fromHumanSize } from '../../engine/units';
import { ATTR_OPTS, checkAttrOptions } from '../shared/attrs';
import { checkTag } from '../shared/tag';

export interface JsonFileOptions {
  maxSize: number | null;
  maxFiles: number;
  compress: boolean;
  /** The attribute options as given (labels, env, their regexes, tag), resolved per workload. */
  attrs: Record<string, string>;
}

const KEYS = new Set<string>(['max-size', 'max-file', 'compress', 'tag', ...ATTR_OPTS]);

/** Docker's json-file options, defaults and checks, with messages naming the key. */
export function parseJsonFileOptions(opts: Readonly<Record<string, string>>): JsonFileOptions {
  for (const k of Object.keys(opts)) if (!KEYS.has(k)) throw unknownOption(k, 'json-file');
  checkAttrOptions(opts);

  let maxSize: number | null = null;
  const sizeText = opts['max-size'];
  if (sizeText !== undefined && sizeText !== '-1') {
    const n = fromHumanSize(sizeText);
    if (n === undefined || n <= 0) {
      throw new OptionError(`invalid value "${sizeText}" for log opt max-size: expected a positive size like 10m or 500k (decimal units), or -1 for unlimited`);
    }
    maxSize = n;
  }

  let maxFiles = 1;
  const fileText = opts['max-file'];
  if (fileText !== undefined) {
    if (!/^-?\d+$/.test(fileText)) throw new OptionError(`invalid value "${fileText}" for log opt max-file: expected a whole number >= 1`);
    maxFiles = Number(fileText);
    if (maxFiles < 1) throw new OptionError('max-file cannot be less than 1');
  }
  if (maxSize === null) maxFiles = 1; // max-file only takes effect with max-size, as Docker

  let compress = false;
  const compressText = opts['compress'];
  if (compressText !== undefined) {
    const v = parseBool(compressText);
    if (v === undefined) throw new OptionError(`invalid value "${compressText}" for log opt compress: expected true or false`);
    compress = v;
    if (compress && (maxFiles < 2 || maxSize === null)) {
      throw new OptionError('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
  }

  const attrs: Record<string, string> = {};
  for (const k of [...ATTR_OPTS, 'tag']) if (opts[k] !== undefined) attrs[k] = opts[k]!;
  if (attrs['tag'] !== undefined) checkTag(attrs['tag']);
  return { maxSize, maxFiles, compress, attrs };
}

/** Go's strconv.ParseBool forms. */
export function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  return undefined;
}
