import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventually } from './cli';

/**
 * v1 cgroups a test makes for workloads corral did not start (watched ones), all under the
 * test's own parent; processes are moved in by a shell before it execs. remove() kills them
 * and removes every directory made, deepest first.
 */
export class OwnCgroups {
  private readonly dirs: string[] = [];
  private readonly procs: ChildProcess[] = [];

  constructor(readonly parent: string) {}

  /** mkdir -p /sys/fs/cgroup/<c>/<parent>/<rel> in each controller; returns the leaf dirs. */
  make(rel: string, controllers: string[]): string[] {
    return controllers.map((c) => {
      let dir = path.join('/sys/fs/cgroup', c);
      for (const part of [this.parent, ...rel.split('/')]) {
        dir = path.join(dir, part);
        if (!fs.existsSync(dir)) { fs.mkdirSync(dir); this.dirs.push(dir); }
      }
      return dir;
    });
  }

  /** Runs argv after joining every leaf; resolves once it is in all of them. */
  async runIn(leaves: string[], argv: string[]): Promise<ChildProcess> {
    // Cgroup paths have no spaces: the list goes through the environment as words.
    const p = spawn('sh', ['-c', 'for f in $LEAVES; do echo $$ > "$f/cgroup.procs" || exit 1; done; exec "$@"', 'sh', ...argv], { stdio: 'ignore', env: { ...process.env, LEAVES: leaves.join(' ') } });
    this.procs.push(p);
    const pid = String(p.pid);
    await eventually(`process ${pid} in its cgroups`, async () => p.exitCode !== null || p.signalCode !== null || leaves.every((d) => fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').includes(pid)));
    return p;
  }

  sleepIn(leaves: string[]): Promise<ChildProcess> {
    return this.runIn(leaves, ['sleep', '300']);
  }

  /** Kills p and waits for it to be gone. */
  async kill(p: ChildProcess): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  /** Removes leaves (made by make, now empty) before the rest goes. */
  async rmdir(leaves: string[]): Promise<void> {
    for (const d of leaves) {
      await eventually(`rmdir ${d}`, async () => {
        try { fs.rmdirSync(d); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENOENT'; }
      }, 100, 50);
    }
  }

  async remove(): Promise<void> {
    for (const p of this.procs) await this.kill(p);
    await this.rmdir([...this.dirs].reverse());
  }
}
