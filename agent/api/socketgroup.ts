import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** The group that may use the API socket unless `--socket-group` / CORRAL_SOCKET_GROUP says otherwise. */
export const DEFAULT_SOCKET_GROUP = 'corral';

/** The gid of a group by name or number (through NSS, as `ls -l` would see it), or undefined. */
export function findGroup(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const entry = execFileSync('getent', ['group', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const gid = Number(entry.split(':')[2]);
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined; // getent exits 2 for an unknown group
  }
}

/**
 * Gives the socket to `group` (mode stays 0660), so the kernel refuses everyone else: the
 * only check is the file's permissions. The default group is created when missing (root only:
 * `groupadd --system corral`); a named one must exist. Returns what happened, for the agent's log.
 */
export function applySocketGroup(socket: string, group: string): string {
  let gid = findGroup(group);
  let created = false;
  if (gid === undefined && group === DEFAULT_SOCKET_GROUP && process.getuid?.() === 0) {
    try {
      execFileSync('groupadd', ['--system', group], { stdio: ['ignore', 'ignore', 'pipe'] });
      created = true;
    } catch (e) {
      const why = String((e as { stderr?: Buffer }).stderr ?? '').trim() || (e as Error).message;
      return `socket group ${group} could not be created (${why}); ${socket} stays 0660 ${owner(socket)}`;
    }
    gid = findGroup(group);
  }
  if (gid === undefined) return `socket group ${group} not found; ${socket} stays 0660 ${owner(socket)}`;
  try {
    fs.chownSync(socket, process.getuid?.() ?? -1, gid);
  } catch (e) {
    return `socket group ${group} (gid ${gid}) not applied (${(e as Error).message}); ${socket} stays 0660 ${owner(socket)}`;
  }
  return `${socket} is 0660 ${owner(socket)}${created ? ` (group ${group} created)` : ''}`;
}

function owner(file: string): string {
  const st = fs.statSync(file);
  const name = (id: number, db: string) => { try { return execFileSync('getent', [db, String(id)], { encoding: 'utf8' }).split(':')[0]!; } catch { return String(id); } };
  return `${name(st.uid, 'passwd')}:${name(st.gid, 'group')}`;
}
