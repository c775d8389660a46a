import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SOCKET } from '../../../drivers/journald/options';
import { journalListening } from '../../../drivers/journald/socket';

/**
 * A real systemd-journald for the tests. When one already listens on the default socket (the
 * machine's own, or one another test file started) it is used as it is; otherwise this starts
 * /lib/systemd/systemd-journald standalone (no systemd as PID 1 needed): volatile journal in
 * /run/log/journal, sockets in /run/systemd/journal, rate limiting off through a drop-in in
 * /run/systemd/journald.conf.d. Test files run in parallel processes, so the started journald
 * is shared: each process registers as a user under STATE_DIR (a mkdir lock guards the
 * bookkeeping) and the last user to release it stops it and removes what starting it created.
 * Entries are told apart by CONTAINER_ID_FULL, so a shared journal is fine.
 */

export const JOURNALD_BIN = '/lib/systemd/systemd-journald';
const STATE_DIR = '/run/corral-test-journald';
const LOCK = path.join(STATE_DIR, 'lock');
const STATE = path.join(STATE_DIR, 'state.json');
const USERS = path.join(STATE_DIR, 'users');
const DROPIN_DIR = '/run/systemd/journald.conf.d';
const DROPIN = path.join(DROPIN_DIR, 'corral-test.conf');
const CREATED_CANDIDATES = ['/run/systemd/journal', '/run/log/journal', DROPIN_DIR];

interface State { pid: number; created: string[] }

export function journaldInstalled(): boolean {
  try {
    fs.accessSync(JOURNALD_BIN, fs.constants.X_OK);
    execFileSync('journalctl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bookkeeping lock: mkdir is atomic; a holder that died is noticed by its pid file. */
async function locked<T>(f: () => Promise<T>): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      fs.mkdirSync(STATE_DIR, { recursive: true }); // again each time: the last user removes it
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code !== 'EEXIST') throw e;
      let holder = 0;
      try { holder = Number(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8')); } catch { /* being written or removed */ }
      if (holder && !alive(holder)) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > end) throw new Error(`the test journald lock ${LOCK} stayed taken for 30 s`);
      await sleep(20);
    }
  }
  try {
    return await f();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

function readState(): State | undefined {
  try { return JSON.parse(fs.readFileSync(STATE, 'utf8')) as State; } catch { return undefined; }
}

function liveUsers(): number[] {
  let names: string[] = [];
  try { names = fs.readdirSync(USERS); } catch { return []; }
  const out: number[] = [];
  for (const n of names) {
    const pid = Number(n.split('.')[0]);
    if (alive(pid)) out.push(pid);
    else fs.rmSync(path.join(USERS, n), { force: true });
  }
  return out;
}

async function stopStarted(s: State): Promise<void> {
  if (alive(s.pid)) {
    try { process.kill(s.pid, 'SIGTERM'); } catch { /* gone */ }
    const end = Date.now() + 5_000;
    while (alive(s.pid) && Date.now() < end) await sleep(20);
    if (alive(s.pid)) try { process.kill(s.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const p of s.created) fs.rmSync(p, { recursive: true, force: true });
  fs.rmSync(STATE, { force: true });
}

async function startJournald(): Promise<State> {
  const created = CREATED_CANDIDATES.filter((p) => !fs.existsSync(p));
  fs.mkdirSync(DROPIN_DIR, { recursive: true });
  // Tests and the bench write far past journald's default burst (10,000 per 30 s per sender).
  fs.writeFileSync(DROPIN, '[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\nRateLimitBurst=0\nReadKMsg=no\nForwardToSyslog=no\nForwardToWall=no\n');
  if (!created.includes(DROPIN_DIR)) created.push(DROPIN);
  const child: ChildProcess = spawn(JOURNALD_BIN, [], { stdio: 'ignore', detached: true });
  child.unref();
  const pid = child.pid ?? 0;
  const state: State = { pid, created };
  const end = Date.now() + 10_000;
  while (!journalListening(DEFAULT_SOCKET)) {
    if (!alive(pid) || Date.now() > end) {
      await stopStarted(state);
      throw new Error(`${JOURNALD_BIN} did not open ${DEFAULT_SOCKET} within 10 s`);
    }
    await sleep(20);
  }
  fs.writeFileSync(STATE, JSON.stringify(state));
  return state;
}

/** A journald to write to and read from; release() when done. */
export class TestJournal {
  private released = false;
  readonly socket = DEFAULT_SOCKET;
  /** This user's file under USERS: pid (for the liveness check) and a per-acquire suffix. */
  private readonly user = `${process.pid}.${Math.random().toString(36).slice(2)}`;

  private constructor(readonly started: boolean) {}

  /** Uses the running journald, or starts (or joins) the shared test one. */
  static async acquire(): Promise<TestJournal> {
    return locked(async () => {
      let state = readState();
      if (state && !alive(state.pid)) { await stopStarted(state); state = undefined; } // left by a crashed run
      if (!state && journalListening(DEFAULT_SOCKET)) return new TestJournal(false); // the machine's own: leave it alone
      state ??= await startJournald();
      const j = new TestJournal(true);
      fs.mkdirSync(USERS, { recursive: true });
      fs.writeFileSync(path.join(USERS, j.user), '');
      return j;
    });
  }

  /** Every entry of a workload, oldest first, as journalctl prints them in JSON. */
  entries(id: string): Record<string, unknown>[] {
    const out = execFileSync('journalctl', ['-o', 'json', '--all', '--no-pager', '-q', `CONTAINER_ID_FULL=${id}`], { maxBuffer: 256 << 20, encoding: 'utf8' });
    return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Waits (bounded) until the workload has at least n entries in the journal; returns them. */
  async waitEntries(id: string, n: number, ms = 15_000): Promise<Record<string, unknown>[]> {
    const end = Date.now() + ms;
    for (;;) {
      const got = this.entries(id);
      if (got.length >= n) return got;
      if (Date.now() > end) throw new Error(`the journal holds ${got.length} entries of ${id.slice(0, 12)} after ${ms} ms, expected ${n}`);
      await sleep(50);
    }
  }

  /**
   * Stops journald from reading (SIGSTOP) so its socket queue fills; the returned function lets
   * it go on. Undefined for the machine's own journald, which tests never touch.
   */
  pause(): (() => void) | undefined {
    const pid = this.started ? readState()?.pid : undefined;
    if (!pid) return undefined;
    process.kill(pid, 'SIGSTOP');
    let resumed = false;
    return () => { if (!resumed) { resumed = true; process.kill(pid, 'SIGCONT'); } };
  }

  /**
   * Makes the started journald rotate its files (SIGUSR2, what `journalctl --rotate` asks for),
   * waiting (bounded) until it says it has. False for the machine's own journald, left alone.
   */
  async rotate(): Promise<boolean> {
    const pid = this.started ? readState()?.pid : undefined;
    if (!pid) return false;
    const flag = '/run/systemd/journal/rotated';
    const before = fs.statSync(flag, { throwIfNoEntry: false })?.mtimeMs ?? -1;
    process.kill(pid, 'SIGUSR2');
    const end = Date.now() + 10_000;
    while ((fs.statSync(flag, { throwIfNoEntry: false })?.mtimeMs ?? -1) === before) {
      if (Date.now() > end) throw new Error('journald did not rotate within 10 s');
      await sleep(20);
    }
    return true;
  }

  /** Stops the journald this process started or joined, once no other test process uses it. */
  async release(): Promise<void> {
    if (this.released || !this.started) return;
    this.released = true;
    await locked(async () => {
      fs.rmSync(path.join(USERS, this.user), { force: true });
      if (liveUsers().length) return;
      const state = readState();
      if (state) await stopStarted(state);
      fs.rmSync(USERS, { recursive: true, force: true });
    });
    try { fs.rmdirSync(STATE_DIR); } catch { /* another process took the lock meanwhile */ }
  }
}
