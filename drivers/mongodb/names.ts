import { DriverContext, OptionError } from '../../engine/logs/driver';
import { expandTag } from '../shared/tag';

/** A workload as templates see it, to check a template's shape before any workload exists. */
const SAMPLE: DriverContext = {
  id: '0'.repeat(64), name: 'sample', logDir: '', labels: {}, env: [], created: 0n, pid: () => 0,
};

const TEMPLATE_HELP = 'templates may use {{.ID}}, {{.FullID}}, {{.Name}} and {{.DaemonName}}';

/** Expands a Docker-style template for one workload; errors name `key`, not `tag`. */
export function expandFor(key: string, template: string, ctx: DriverContext): string {
  let value: string;
  try {
    value = expandTag(template, ctx);
  } catch {
    throw new OptionError(`invalid value "${template}" for log opt ${key}: ${TEMPLATE_HELP}`);
  }
  const bad = key === 'mongodb-database' ? badDatabaseName(value) : key === 'mongodb-collection' ? badCollectionName(value) : undefined;
  if (bad) throw new OptionError(`invalid value "${template}" for log opt ${key}: ${bad}`);
  return value;
}

/** Checks a template (and, for names, the characters MongoDB refuses) at `run` time. */
export function checkTemplate(key: string, template: string): void {
  expandFor(key, template, SAMPLE);
}

/** MongoDB's rules for database names on Linux (docs: "Naming Restrictions"). */
function badDatabaseName(name: string): string | undefined {
  if (!name) return 'a database name cannot be empty';
  if (/[/\\. "$\0]/.test(name)) return 'a database name cannot contain any of / \\ . " $ or a space';
  if (Buffer.byteLength(name) >= 64) return 'a database name must be shorter than 64 bytes';
  return undefined;
}

function badCollectionName(name: string): string | undefined {
  if (!name) return 'a collection name cannot be empty';
  if (/[$\0]/.test(name)) return 'a collection name cannot contain $';
  if (name.startsWith('system.')) return 'collection names starting with "system." are reserved by MongoDB';
  if (name.startsWith('.') || name.endsWith('.')) return 'a collection name cannot start or end with a dot';
  if (Buffer.byteLength(name) > 200) return 'a collection name must be at most 200 bytes';
  return undefined;
}
