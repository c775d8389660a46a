import * as fs from 'node:fs';
import * as path from 'node:path';

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

/** Writes corral.service into dir (atomically) and returns its path. */
export function installUnit(dir: string, dataRoot: string): string {
  const bin = path.join(__dirname, '..', '..', '..', 'bin', 'corral');
  const execStart = [process.execPath, bin, '--data-root', dataRoot, 'agent', '--live-restore'].map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'corral.service');
  fs.writeFileSync(`${file}.tmp`, systemdUnit(execStart, dataRoot), { mode: 0o644 });
  fs.renameSync(`${file}.tmp`, file);
  return file;
}
