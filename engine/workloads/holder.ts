import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Readable, Writable } from 'node:stream';
import { setPipeSize } from '../native';
import { Launch, WorkloadProcess, exitCodeOf, signalGroup } from './process';
import { pidStartTime } from './spawn';

/**
 * Live restore. The workload's stdout/stderr are FIFOs in its folder that the workload itself
 * holds open read-write, so writing never fails while no agent reads: the lines wait in the
 * pipe (enlarged to PIPE_BYTES where the kernel allows) and a restarted agent reads on from
 * the first byte it has not read. Its parent is a tiny holder (engine/native/holder.c) that
 * outlives the agent and records the exit code in `exit`.
 */

/** Pipe buffer per stream: at 10,000 lines/s of 100 bytes, about 8 s without an agent before the workload blocks. */
export const PIPE_BYTES = 8 << 20;

const STREAMS = ['stdout', 'stderr'] as const;
const fifoOf = (dir: string, s: string) => path.join(dir, `${s}.fifo`);
const exitFileOf = (dir: string) => path.join(dir, 'exit');

/** The holder binary built by `npm ci`, or undefined (no compiler; CORRAL_NO_HOLDER=1). */
export function findHolder(): string | undefined {
  if (process.env['CORRAL_NO_HOLDER'] === '1') return undefined;
  const candidates = [
    path.join(__dirname, '..', '..', '..', 'engine', 'native', 'build', 'corral-holder'),
    path.join(__dirname, '..', 'native', 'build', 'corral-holder'),
  ];
  return candidates.find((f) => { try { fs.accessSync(f, fs.constants.X_OK); return true; } catch { return false; } });
}

/** The read end of a FIFO as a stream; non-blocking so that it never stalls the agent. */
function readFifo(file: string): Readable {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  setPipeSize(fd, PIPE_BYTES);
  return new net.Socket({ fd, readable: true, writable: false });
}

/** The holder's reports on fd 4: the workload's pid, then (when it ends) its exit code. */
function holderReports(stream: Readable): { pid: Promise<number>; exitCode: Promise<number | undefined> } {
  const lines = readline.createInterface({ input: stream });
  const next = lines[Symbol.asyncIterator]();
  const line = async () => { const r = await next.next(); return r.done ? undefined : Number(r.value); };
  const pid = line().then((n) => n ?? 0);
  return { pid, exitCode: pid.then(() => line()) };
}

export async function startHeld(holder: string, dir: string, l: Launch): Promise<WorkloadProcess> {
  fs.rmSync(exitFileOf(dir), { force: true });
  const rw: number[] = [];
  const readers: Readable[] = [];
  let child: ChildProcess | undefined;
  try {
    for (const s of STREAMS) {
      fs.rmSync(fifoOf(dir, s), { force: true });
      execFileSync('mkfifo', ['-m', '600', fifoOf(dir, s)]);
      rw.push(fs.openSync(fifoOf(dir, s), 'r+'));
      readers.push(readFifo(fifoOf(dir, s)));
    }
    child = spawn(holder, [dir, l.file, l.argv0, ...l.args], {
      cwd: l.cwd, env: l.env, detached: true, stdio: ['ignore', rw[0]!, rw[1]!, 'pipe', 'pipe'],
      ...(l.ident ? { uid: l.ident.uid, gid: l.ident.gid } : {}),
    });
    await Promise.race([once(child, 'spawn'), once(child, 'error').then(([e]) => { throw e; })]);
  } catch (e) {
    for (const r of readers) r.destroy();
    throw e;
  } finally {
    for (const fd of rw) fs.closeSync(fd); // the workload holds them now
  }
  const holderExit = (once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>).then(([c, s]) => exitCodeOf(c, s));
  const reports = holderReports(child.stdio[4] as Readable);
  // The holder reports the code at once, but exits only when the FIFOs are empty: the run must end
  // on the report, or output stuck behind a full outlet would keep it from ever ending.
  const exited = Promise.race([reports.exitCode.then((c) => (c === undefined || Number.isNaN(c) ? holderExit : c)), holderExit]);
  const pid = await reports.pid;
  const gate = child.stdio[3] as Writable;
  gate.on('error', () => undefined);
  try {
    if (!(pid > 0)) throw new Error('the workload holder did not start the workload');
    await l.cgroup?.join(pid);
  } catch (e) {
    gate.destroy(); // EOF at the gate: the workload exits 125 without running anything
    await holderExit;
    for (const r of readers) r.destroy();
    throw e;
  }
  gate.end('go\n');
  child.unref();
  return held(pid, { pid: child.pid!, startTime: pidStartTime(child.pid!) }, readers, exited);
}

/**
 * Takes over a workload whose holder still runs (a previous agent started it). Undefined when
 * there is nothing to adopt: the holder is gone or is not ours (pid reused).
 */
export function adoptHeld(dir: string, pid: number, holder: { pid: number; startTime: string }): WorkloadProcess | undefined {
  if (!holder.pid || !holder.startTime || pidStartTime(holder.pid) !== holder.startTime) return undefined;
  if (!STREAMS.every((s) => fs.existsSync(fifoOf(dir, s)))) return undefined;
  const readers = STREAMS.map((s) => readFifo(fifoOf(dir, s)));
  // Not our child: watch the holder until it is gone, then read what it recorded.
  const exited = new Promise<number>((resolve) => {
    const timer = setInterval(() => {
      // Ended when the holder recorded the code (it may still wait for the pipes to drain) or is gone.
      if (!fs.existsSync(exitFileOf(dir)) && pidStartTime(holder.pid) === holder.startTime) return;
      clearInterval(timer);
      for (const s of STREAMS) wakeReader(fifoOf(dir, s));
      resolve(recordedExit(dir));
    }, 250);
    timer.unref(); // an agent leaving for good (live restore) must not wait on it
  });
  return held(pid, holder, readers, exited);
}

/**
 * A FIFO opened for reading after its last writer had gone never signals EOF to poll/epoll
 * (Linux waits for a writer to come and go first), so the read stream would wait forever:
 * be that writer for a moment.
 */
function wakeReader(fifo: string): void {
  try { fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch { /* no reader left: nothing to wake */ }
}

/** The exit code the holder wrote; 255 when it could not (killed itself). */
function recordedExit(dir: string): number {
  try {
    const n = Number(fs.readFileSync(exitFileOf(dir), 'utf8').trim());
    return Number.isInteger(n) ? n : 255;
  } catch {
    return 255;
  }
}

function held(pid: number, holder: { pid: number; startTime: string }, [stdout, stderr]: Readable[], exited: Promise<number>): WorkloadProcess {
  return {
    pid, stdout: stdout!, stderr: stderr!, exited, holder,
    signalGroup: (sig) => signalGroup(pid, sig),
    signal: (sig) => process.kill(pid, sig),
  };
}
