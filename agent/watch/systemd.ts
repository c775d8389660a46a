import * as path from 'node:path';
import { Candidate, cgroupOnly } from './cgroupdirs';
import { CgroupOpener } from './opener';

/**
 * systemd's services: one cgroup each under system.slice (in every v1 hierarchy systemd
 * accounts in, or the v2 tree), named after the unit. Their logs are in the journal.
 */
export function systemdServices(opener: CgroupOpener, root: string): Candidate[] {
  const slice = path.posix.join(root, 'system.slice');
  return opener.children(slice).filter((n) => n.endsWith('.service')).sort()
    .map((unit) => cgroupOnly('systemd', `systemd:${unit}`, `${slice}/${unit}`, `systemd:${unit} logs to the journal: journalctl -u ${unit}`));
}
