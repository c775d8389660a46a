import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';

/** The unit that runs this corral's agent under systemd, restarting it and leaving workloads to the next one. */
export function systemdUnit(execStart: string, dataRoot: string): string {
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
Environment=CORRAL_ROOT=${dataRoot}

[Install]
WantedBy=multi-user.target
`;
}

/** Writes corral.service into dir (atomically) and returns its path; agentArgs are the agent's own flags to keep. */
export function installUnit(dir: string, dataRoot: string, agentArgs: readonly string[] = []): string {
  const bin = path.join(__dirname, '..', '..', '..', 'bin', 'corral');
  const args = [process.execPath, bin, '--data-root', dataRoot, 'agent', '--live-restore', ...agentArgs.filter((a) => a !== '--live-restore')];
  const execStart = args.map(unitWord).join(' ');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'corral.service');
  fs.writeFileSync(`${file}.tmp`, systemdUnit(execStart, dataRoot), { mode: 0o644 });
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

/** One ExecStart word: quoted (systemd's C-style) when it holds spaces, quotes, backslashes or specifiers. */
function unitWord(a: string): string {
  if (/^[^\s"'\\%$;]+$/.test(a)) return a;
  return `"${a.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** The agent's flags a user gave on this command line (not defaults, not env), as words, without --install. */
export function explicitFlags(cmd: Command): string[] {
  const words: string[] = [];
  for (const opt of cmd.options) {
    const key = opt.attributeName();
    if (key === 'install' || cmd.getOptionValueSource(key) !== 'cli') continue;
    const v = cmd.getOptionValue(key) as unknown;
    if (v === true) words.push(opt.long!);
    else if (Array.isArray(v)) for (const x of v) words.push(opt.long!, String(x));
    else if (v !== false && v !== undefined) words.push(opt.long!, String(v));
  }
  return words;
}
