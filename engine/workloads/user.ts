import * as fs from 'node:fs';
import { SpecError } from './spec';

export interface Identity { uid: number; gid: number; home: string; name: string }

function table(path: string): string[][] {
  try {
    return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const MAX_ID = 2 ** 31 - 1;

/** Resolves `-u user[:group]` (names or numbers) against /etc/passwd and /etc/group. */
export function resolveUser(spec: string): Identity {
  const [user, group] = spec.split(':') as [string, string | undefined];
  const passwd = table('/etc/passwd');
  const entry = /^\d+$/.test(user) ? passwd.find((p) => p[2] === user) : passwd.find((p) => p[0] === user);
  if (!entry && !/^\d+$/.test(user)) {
    throw new SpecError(`unable to find user ${user}: no matching entries in passwd file (--user accepts name|uid[:group|gid])`);
  }
  const uid = entry ? Number(entry[2]) : Number(user);
  let gid = entry ? Number(entry[3]) : uid;
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const g = table('/etc/group').find((e) => e[0] === group);
      if (!g) throw new SpecError(`unable to find group ${group}: no matching entries in group file (--user accepts name|uid[:group|gid])`);
      gid = Number(g[2]);
    }
  }
  // Docker refuses ids past 2^31-1 (moby/sys/user); spawn would fail on them later, at start.
  if (!(uid <= MAX_ID && gid <= MAX_ID)) throw new SpecError(`uids and gids must be in range 0-${MAX_ID} (--user ${spec})`);
  return { uid, gid, home: entry?.[5] || '/', name: entry?.[0] ?? user };
}
