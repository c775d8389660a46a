import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'corral');

// Agents started by tests (TestAgent, autostart) give their socket to root's group: the default,
// group corral created when missing, would add a group to the host.
process.env['CORRAL_SOCKET_GROUP'] ??= 'root';

export interface RunResult { code: number; stdout: string; stderr: string }

/** Runs the real CLI as a user would; resolves with its exit code and output. */
export function corral(root: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--data-root', root, ...args], {
      env: { ...process.env, CORRAL_NO_AUTOSTART: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`corral ${args.join(' ')} timed out; stderr: ${stderr}`)); }, opts.timeoutMs ?? 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
    child.stdin.end(opts.input ?? '');
  });
}

let agents = 0;

/** The parent cgroup a test's workloads get theirs under: ours alone, removed afterwards. */
export function testCgroupParent(): string {
  return `corral-test-${process.pid}-${++agents}`;
}

/** Removes a test's parent cgroup from every v1 hierarchy and the v2 tree (it must be empty by then). */
export function removeCgroupParent(parent: string): void {
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', h, parent);
    try { fs.rmdirSync(dir); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e; }
  }
}

/** A private agent on a temporary data root and its own parent cgroup, stopped and removed by stop(). */
export class TestAgent {
  readonly root: string;
  readonly cgroupParent = testCgroupParent();
  private proc: ChildProcess | undefined;

  /** metricsAddr: where the agent serves /metrics ('off' unless a test scrapes it, so agents don't clash). */
  constructor(root?: string, readonly metricsAddr = 'off', readonly agentArgs: string[] = []) {
    this.root = root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'corral-test-'));
  }

  get socket(): string { return path.join(this.root, 'corral.sock'); }

  /** The agent process is up (started and not exited). */
  get running(): boolean { return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null; }

  async start(): Promise<void> {
    const log = fs.openSync(path.join(this.root, 'agent.log'), 'a');
    this.proc = spawn(process.execPath, [BIN, '--data-root', this.root, 'agent', '--cgroup-parent', this.cgroupParent, '--metrics-addr', this.metricsAddr, ...this.agentArgs], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    for (let i = 0; i < 500; i++) {
      const r = await corral(this.root, ['ps']).catch(() => undefined);
      if (r?.code === 0) return;
      if (this.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`agent did not start: ${fs.readFileSync(path.join(this.root, 'agent.log'), 'utf8')}`);
  }

  run(args: string[], opts?: Parameters<typeof corral>[2]): Promise<RunResult> {
    return corral(this.root, args, opts);
  }

  /** Stops the agent the way an operator would (SIGTERM) and waits for it to exit. */
  async stopAgent(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.stopAgent();
    // A task that has just exited can keep a cgroup busy for a moment: retry a little, then say what is left.
    for (let i = 0; ; i++) {
      try {
        removeCgroupParent(this.cgroupParent);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || i >= 40) {
          const left = fs.readdirSync('/sys/fs/cgroup').flatMap((h) => { try { return fs.readdirSync(path.join('/sys/fs/cgroup', h, this.cgroupParent), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${h}/${d.name}`); } catch { return []; } });
          let log = '';
          try { log = fs.readFileSync(path.join(this.root, 'agent.log'), 'utf8').slice(-2000); } catch { /* none */ }
          throw new Error(`${(e as Error).message}; cgroups left under ${this.cgroupParent}: ${left.join(' ') || 'none'}; agent.log ends:\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Polls an async condition a bounded number of times (no timing asserts: just a deadline). */
export async function eventually<T>(what: string, f: () => Promise<T | undefined | false>, tries = 250, everyMs = 40): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
