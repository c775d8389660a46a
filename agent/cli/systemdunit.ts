import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { CORRAL_BIN } from './context';

/** The unit that runs this corral's agent under systemd, restarting it and leaving workloads to the next one. */
export function systemdUnit(execStart: string, dataRoot: string, env: Readonly<Record<string, string>> = {}): string {
  const environment = Object.entries({ CORRAL_ROOT: dataRoot, ...env }).map(([k, v]) => `Environment=${envAssignment(k, v)}`).join('\n');
  return `# Written by \`corral agent --install\`.
[Unit]
Description=corral agent: runs workloads with cgroup limits and Docker's logging drivers
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${execStart}
Restart=always
RestartSec=1
# Only the agent is stopped or restarted: workloads and their holders live on, and the next
# agent adopts them (live restore).
KillMode=process
${environment}

[Install]
WantedBy=multi-user.target
`;
}

/** Writes corral.service into dir (atomically) and returns its path; agentArgs are the agent's own flags to keep. */
export function installUnit(dir: string, dataRoot: string, agentArgs: readonly string[] = [], env: Readonly<Record<string, string>> = {}): string {
  // systemd starts the agent in /: a relative data root would be another folder there.
  dataRoot = path.resolve(dataRoot);
  const args = [process.execPath, CORRAL_BIN, '--data-root', dataRoot, 'agent', '--live-restore', ...agentArgs.filter((a) => a !== '--live-restore')];
  const execStart = args.map(unitWord).join(' ');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'corral.service');
  fs.writeFileSync(`${file}.tmp`, systemdUnit(execStart, dataRoot, env), { mode: 0o644 });
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

/**
 * A double-quoted unit-file word (systemd's C-style): backslash, quote and control characters
 * escaped, %% for a specifier's %, and in ExecStart (`dollar`) $$ for a variable's $.
 */
function quoteUnit(text: string, dollar: boolean): string {
  let esc = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')
    .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (dollar) esc = esc.replace(/\$/g, '$$$$');
  return `"${esc}"`;
}

/** One ExecStart word: quoted when it holds spaces, quotes, backslashes, specifiers or control characters. */
function unitWord(a: string): string {
  return /^[^\s"'\\%$;\x00-\x1f\x7f]+$/.test(a) ? a : quoteUnit(a, true);
}

/** One Environment= assignment (systemd.exec); `$` means nothing there and stays. */
export function envAssignment(key: string, value: string): string {
  const kv = `${key}=${value}`;
  return /^[A-Za-z0-9_=/.:,@+-]+$/.test(kv) ? kv : quoteUnit(kv, false);
}

/**
 * The settings the agent takes from its environment (beside its flags) that this shell has: the
 * unit keeps them, as Environment= lines. CORRAL_WEB_TOKEN is not one (refused with --install).
 */
export function agentEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const keep = /^CORRAL_(WEB_ADDR|METRICS_ADDR|WATCH_[A-Z_]+|HOSTNAME|CGROUP_PARENT|SOCKET_GROUP|LIVE_RESTORE)$/;
  const out: Record<string, string> = {};
  for (const k of Object.keys(env).sort()) if (keep.test(k) && env[k] !== undefined) out[k] = env[k]!;
  return out;
}

/** Flags naming a file or folder: the unit's agent starts in /, so they are made absolute. */
const PATH_FLAGS = new Set(['webTokenFile', 'watchDocker']);

/** The agent's flags a user gave on this command line (not defaults, not env), as words, without --install. */
export function explicitFlags(cmd: Command): string[] {
  const words: string[] = [];
  for (const opt of cmd.options) {
    const key = opt.attributeName();
    if (key === 'install' || cmd.getOptionValueSource(key) !== 'cli') continue;
    let v = cmd.getOptionValue(key) as unknown;
    if (PATH_FLAGS.has(key) && typeof v === 'string') v = path.resolve(v);
    if (v === true) words.push(opt.long!);
    else if (Array.isArray(v)) for (const x of v) words.push(opt.long!, String(x));
    else if (v !== false && v !== undefined) words.push(opt.long!, String(v));
  }
  return words;
}
