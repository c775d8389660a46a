import * as path from 'node:path';
import { Candidate, cgroupOnly } from './cgroupdirs';
import { CgroupOpener } from './opener';

/** Slices nest (system.slice/app.slice/x.service, user.slice/user-1000.slice/...): this deep and no deeper. */
const MAX_DEPTH = 6;

/**
 * systemd's services: one cgroup each under a slice (in every v1 hierarchy systemd accounts in,
 * or the v2 tree), named after the unit, wherever the slices nest; the slice it is in is its
 * `slice` label. Units are unique host-wide, so the name alone tells them apart. A service's own
 * children (a user manager's tree) are not searched. Their logs are in the journal.
 */
export function systemdServices(opener: CgroupOpener, root: string): Candidate[] {
  const out: Candidate[] = [];
  const walk = (dir: string, depth: number) => {
    for (const name of opener.children(dir).sort()) {
      const cg = path.posix.join(dir, name);
      if (name.endsWith('.slice') && depth < MAX_DEPTH) walk(cg, depth + 1);
      else if (name.endsWith('.service') && depth > 0) out.push(service(name, cg, path.posix.basename(dir)));
    }
  };
  walk(root, 0);
  return out;
}

function service(unit: string, cgPath: string, slice: string): Candidate {
  const c = cgroupOnly('systemd', `systemd:${unit}`, cgPath, `systemd:${unit} logs to the journal: journalctl -u ${unit}`);
  c.found.labels = { slice };
  return c;
}
