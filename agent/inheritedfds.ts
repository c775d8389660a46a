import * as fs from 'node:fs';

/** Linux's O_CLOEXEC as /proc/<pid>/fdinfo shows it in `flags` (octal). */
const O_CLOEXEC = 0o2000000;

/**
 * Closes what the agent inherited open across exec (a shell's or supervisor's pipe, the fds of
 * the CLI that started it). Node opens its own fds close-on-exec, but libuv hands every fd
 * without that flag to each child, so a workload (and its holder) would hold them all.
 * 0-2 stay (the agent's log), as does Node's IPC channel when there is one. Returns what it closed.
 */
export function closeInheritedFds(): number[] {
  const keep = new Set([0, 1, 2, Number(process.env['NODE_CHANNEL_FD'] ?? -1)]);
  let names: string[];
  try { names = fs.readdirSync('/proc/self/fd'); } catch { return []; }
  const closed: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (keep.has(fd)) continue;
    let flags: string | undefined;
    try { flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1]; } catch { continue; } // gone (readdir's own)
    if (flags === undefined || (parseInt(flags, 8) & O_CLOEXEC) !== 0) continue;
    try { fs.closeSync(fd); closed.push(fd); } catch { /* already closed */ }
  }
  return closed.sort((a, b) => a - b);
}
