import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateRequest } from '../manager';
import { ApiError } from '../errors';
import { addResourceFlags, resourceFlags } from './resourceflags';

const collect = (v: string, prev: string[]) => [...prev, v];

/** The options `run` and `create` share (Docker's names). */
export function addCreateFlags(cmd: Command): Command {
  return addResourceFlags(cmd)
    .option('--name <name>', 'assign a name to the workload')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (KEY alone takes it from this shell)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file of KEY=VALUE lines', collect, [])
    .option('-w, --workdir <dir>', 'working directory of the command')
    .option('-u, --user <user[:group]>', 'run the command as this user (name or uid) and group')
    .option('-l, --label <key=value>', 'set a label', collect, [])
    .option('--restart <policy>', 'restart policy: no, on-failure[:max-retries], always, unless-stopped', 'no')
    .option('--rm', 'remove the workload when it exits')
    .option('--log-driver <driver>', 'logging driver (default json-file); repeat it to log to several', collect, [])
    .option('--log-opt <key=value>', 'logging driver option; with several drivers scope it as driver:key=value', collect, [])
    .argument('<command>', 'the program to run')
    .argument('[args...]', 'its arguments')
    .passThroughOptions();
}

function fromShell(key: string): string[] {
  const v = process.env[key];
  return v === undefined ? [] : [`${key}=${v}`];
}

function envEntry(text: string, where: string): string[] {
  if (!text) return [];
  const key = text.split('=')[0]!;
  if (!key || /\s/.test(key)) throw new ApiError(400, `invalid environment variable "${text}" in ${where}: expected KEY=VALUE`);
  return text.includes('=') ? [text] : fromShell(text);
}

function keyValue(text: string, flag: string, requireValue: boolean): [string, string] {
  const i = text.indexOf('=');
  if (i === 0 || (requireValue && i < 0)) throw new ApiError(400, `invalid value "${text}" for ${flag}: expected key=value`);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

export interface CreateFlags {
  name?: string; env: string[]; envFile: string[]; workdir?: string; user?: string; label: string[];
  restart: string; rm?: boolean; logDriver: string[]; logOpt: string[];
}

/** Log opts naming a file the agent opens (spool-dir must be absolute already, and says so). */
const CLIENT_FILE_OPTS = new Set(['syslog-tls-ca-cert', 'syslog-tls-cert', 'syslog-tls-key']);

/** Turns parsed flags into the API's create request; bad values fail here with the flag named. */
export function createRequest(flags: CreateFlags, command: string, args: string[]): CreateRequest {
  const env: string[] = [];
  for (const file of flags.envFile) {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new ApiError(400, `open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message} (--env-file)`); }
    for (const line of text.split('\n')) {
      const t = line.replace(/^\s+/, '').replace(/\r$/, '');
      if (t && !t.startsWith('#')) env.push(...envEntry(t, `--env-file ${file}`));
    }
  }
  for (const e of flags.env) env.push(...envEntry(e, '--env'));
  const labels: Record<string, string> = {};
  for (const l of flags.label) { const [k, v] = keyValue(l, '--label', false); labels[k] = v; }
  const logOpts: Record<string, string> = {};
  for (const o of flags.logOpt) {
    const [k, v] = keyValue(o, '--log-opt', true);
    // Files the agent reads: named from here, so relative to this shell's directory, not the agent's.
    logOpts[k] = CLIENT_FILE_OPTS.has(k.replace(/^[^:=]+:/, '')) && v ? path.resolve(v) : v;
  }
  return {
    // -w '' is Docker's "the default" (/); any other relative dir is this shell's, as docker's -v ./x.
    name: flags.name, path: command, args, env, workingDir: flags.workdir ? path.resolve(flags.workdir) : flags.workdir, user: flags.user, labels,
    restart: flags.restart, autoRemove: !!flags.rm, logDriver: flags.logDriver, logOpts,
    resources: resourceFlags(flags as unknown as Record<string, unknown>),
  };
}
