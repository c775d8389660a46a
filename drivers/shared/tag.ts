import { DriverContext, OptionError } from '../../engine/logs/driver';

/** Fields Docker's `tag` template offers; images don't exist here, so they read as the command's short id. */
const FIELDS: Record<string, (c: DriverContext) => string> = {
  ID: (c) => c.id.slice(0, 12),
  FullID: (c) => c.id,
  Name: (c) => c.name,
  ImageName: (c) => c.name,
  ImageID: (c) => c.id.slice(0, 12),
  ImageFullID: (c) => c.id,
  DaemonName: () => 'corral',
};

const TOKEN = /\{\{\s*\.(\w+)\s*\}\}/g;

/** Expands a Docker-style tag template ("{{.Name}}/{{.ID}}"); throws naming the bad field. */
export function expandTag(template: string, ctx: DriverContext): string {
  const rest = template.replace(TOKEN, '');
  if (rest.includes('{{')) {
    throw new OptionError(`invalid value "${template}" for log opt tag: only {{.ID}}, {{.FullID}}, {{.Name}}, {{.DaemonName}} fields are supported`);
  }
  return template.replace(TOKEN, (_all, field: string) => {
    const f = FIELDS[field];
    if (!f) throw new OptionError(`invalid value "${template}" for log opt tag: unknown field .${field} (use {{.ID}}, {{.FullID}}, {{.Name}} or {{.DaemonName}})`);
    return f(ctx);
  });
}

/** A workload good enough to expand a template before any exists (the fields only read id and name). */
const SAMPLE: DriverContext = { id: '0'.repeat(64), name: 'x', logDir: '', labels: {}, env: [], created: 0n, pid: () => 0 };

/**
 * Checks a `tag` template when the options are parsed (so `create` and `run` refuse a bad one
 * with nothing created, not the run's start); returns its expansion for a sample workload, for
 * drivers with rules of their own on what a tag may contain.
 */
export function checkTag(template: string): string {
  return expandTag(template, SAMPLE);
}
