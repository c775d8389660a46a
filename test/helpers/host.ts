import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Host faults for tests: a small disk of our own, filled and freed on demand. Root only. */

export const CAN_MOUNT = process.getuid?.() === 0;

/** A tmpfs of `size` (mount's units: 2m, 16m) mounted on a fresh temp folder; unmount() removes it. */
export class SmallDisk {
  readonly dir: string;
  private mounted = false;

  constructor(readonly size: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-disk-'));
  }

  mount(): void {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${this.size},mode=0755`, 'tmpfs', this.dir]);
    this.mounted = true;
  }

  /** Fills every free byte with `filler` (written until ENOSPC, in ever smaller pieces down to one byte). */
  fill(): string {
    const file = path.join(this.dir, 'filler');
    const fd = fs.openSync(file, 'a');
    try {
      for (let piece = 1 << 20; piece >= 1; piece >>= 1) {
        const buf = Buffer.alloc(piece, 0x2e);
        for (;;) {
          try { fs.writeSync(fd, buf); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break; throw e; }
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return file;
  }

  /** Space returns: the filler goes. */
  free(): void {
    fs.rmSync(path.join(this.dir, 'filler'), { force: true });
  }

  /** Unmounts (lazily if something still holds a file there) and removes the folder. */
  unmount(): void {
    if (this.mounted) {
      try { execFileSync('umount', [this.dir]); } catch { execFileSync('umount', ['-l', this.dir]); }
      this.mounted = false;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * After an agent that died: kills what still runs in the cgroups under `parent` (a test's own,
 * created by its agent) and removes them, so the parent can go.
 */
export function clearCgroupParent(parent: string): void {
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const top = path.join('/sys/fs/cgroup', h, parent);
    let kids: string[];
    try { kids = fs.readdirSync(top, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(top, e.name)); } catch { continue; }
    for (const dir of kids) {
      for (let i = 0; i < 50; i++) {
        let pids: number[] = [];
        try { pids = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number); } catch { break; }
        for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        try { fs.rmdirSync(dir); break; } catch { execFileSync('sleep', ['0.1']); }
      }
    }
  }
}

/** After an agent that died: kills the workload holders it started for data root `root` (found by their argv). */
export function killHolders(root: string): void {
  const prefix = path.join(root, 'containers') + '/';
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let argv: string[];
    try { argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    if (argv[0]?.endsWith('/corral-holder') && argv[1]?.startsWith(prefix)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

export { freePort } from './net';

/** The value of the first sample of `metric` whose labels include every given label. */
export function metricSample(text: string, metric: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Where a process sleeps in the kernel ("pipe_write" when blocked writing to a full pipe); '' when gone. */
export function wchan(pid: number): string {
  try { return fs.readFileSync(`/proc/${pid}/wchan`, 'utf8'); } catch { return ''; }
}

/** Open file descriptors of a process. */
export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Checks a json-file log line by line: every line is one complete JSON entry (none torn, none
 * glued to the next). Returns the `log` texts without their newline.
 */
export function jsonLines(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  if (!text) return [];
  if (!text.endsWith('\n')) throw new Error(`${file} ends in the middle of an entry`);
  return text.slice(0, -1).split('\n').map((line, i) => {
    let e: { log?: unknown; stream?: unknown; time?: unknown };
    try { e = JSON.parse(line); } catch { throw new Error(`${file}: line ${i + 1} is not JSON: ${line.slice(0, 120)}`); }
    if (typeof e.log !== 'string' || typeof e.time !== 'string' || (e.stream !== 'stdout' && e.stream !== 'stderr')) throw new Error(`${file}: line ${i + 1} is not an entry`);
    return e.log.replace(/\n$/, '');
  });
}
