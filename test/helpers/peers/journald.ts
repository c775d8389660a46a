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
 *
 * A test that removes journal files (vacuum()) would delete what other files still read, so it
 * takes the started journald exclusively (acquireExclusive): it waits until no other process is
 * a user, and while it waits or holds, EXCLUSIVE under STATE_DIR keeps new users out (a process
 * that already is a user may join again, so nothing waits on itself). A holder that died is
 * noticed by its pid, as for the lock.
 */

export const JOURNALD_BIN = '/lib/systemd/systemd-journald';
const STATE_DIR = '/run/corral-test-journald';
const LOCK = path.join(STATE_DIR, 'lock');
const STATE = path.join(STATE_DIR, 'state.json');
const USERS = path.join(STATE_DIR, 'users');
const EXCLUSIVE = path.join(STATE_DIR, 'exclusive.json');
/** How long acquire() waits for an exclusive holder to finish, and acquireExclusive() for the other users. */
const SHARED_WAIT_MS = 180_000;
const EXCLUSIVE_WAIT_MS = 120_000;
const JOURNAL_ROOT = '/run/log/journal';
const DROPIN_DIR = '/run/systemd/journald.conf.d';
const DROPIN = path.join(DROPIN_DIR, 'corral-test.conf');
const CREATED_CANDIDATES = ['/run/systemd/journal', '/run/log/journal', DROPIN_DIR];

interface State { pid: number; created: string[] }
/** The exclusive holder (held) or the first process waiting to be one (not held yet). */
interface Exclusive { pid: number; user: string; held: boolean }

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

/** The user names (pid.suffix) of live users; those of dead processes are removed. */
function liveUsers(): string[] {
  let names: string[] = [];
  try { names = fs.readdirSync(USERS); } catch { return []; }
  const out: string[] = [];
  for (const n of names) {
    if (alive(Number(n.split('.')[0]))) out.push(n);
    else fs.rmSync(path.join(USERS, n), { force: true });
  }
  return out;
}

/** The exclusive holder or waiter, if its process lives (a dead one's claim is removed). */
function readExclusive(): Exclusive | undefined {
  let ex: Exclusive;
  try { ex = JSON.parse(fs.readFileSync(EXCLUSIVE, 'utf8')) as Exclusive; } catch { return undefined; }
  if (alive(ex.pid)) return ex;
  fs.rmSync(EXCLUSIVE, { force: true });
  return undefined;
}

/** The folder of the started journald's files: /run/log/journal/<machine-id>. */
function journalDir(): string {
  let id = '';
  try { id = fs.readFileSync('/etc/machine-id', 'utf8').trim(); } catch { /* none: look */ }
  if (id && fs.existsSync(path.join(JOURNAL_ROOT, id))) return path.join(JOURNAL_ROOT, id);
  const dirs = fs.readdirSync(JOURNAL_ROOT).filter((n) => /^[0-9a-f]{32}$/.test(n));
  if (dirs.length !== 1) throw new Error(`cannot tell the journal folder under ${JOURNAL_ROOT}: ${dirs.join(', ') || 'none'}`);
  return path.join(JOURNAL_ROOT, dirs[0]!);
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

  private exclusive = false;

  private constructor(readonly started: boolean) {}

  /**
   * Uses the running journald, or starts (or joins) the shared test one. While another process
   * holds it exclusively, or waits to, this waits (bounded) unless this process already is a user.
   */
  static async acquire(): Promise<TestJournal> {
    const end = Date.now() + SHARED_WAIT_MS;
    for (;;) {
      const j = await locked(async () => {
        let state = readState();
        if (state && !alive(state.pid)) { await stopStarted(state); state = undefined; } // left by a crashed run
        if (!state && journalListening(DEFAULT_SOCKET)) return new TestJournal(false); // the machine's own: leave it alone
        const ex = readExclusive();
        if (ex && ex.pid !== process.pid && (ex.held || !liveUsers().some((u) => u.startsWith(`${process.pid}.`)))) return undefined;
        state ??= await startJournald();
        const j = new TestJournal(true);
        fs.mkdirSync(USERS, { recursive: true });
        fs.writeFileSync(path.join(USERS, j.user), '');
        return j;
      });
      if (j) return j;
      if (Date.now() > end) throw new Error(`the test journald stayed held exclusively (${EXCLUSIVE}) for ${SHARED_WAIT_MS / 1000} s`);
      await sleep(100);
    }
  }

  /**
   * The started test journald for this process alone (for tests that remove journal files):
   * waits (bounded) until no other process uses it, keeping new users out meanwhile. A string,
   * the reason to skip, when the journal is the machine's own, which tests never vacuum.
   */
  static async acquireExclusive(ms = EXCLUSIVE_WAIT_MS): Promise<TestJournal | string> {
    const j = new TestJournal(true);
    const end = Date.now() + ms;
    let others: string[] = [];
    for (;;) {
      const r = await locked(async (): Promise<TestJournal | string | undefined> => {
        let state = readState();
        if (state && !alive(state.pid)) { await stopStarted(state); state = undefined; }
        if (!state && journalListening(DEFAULT_SOCKET)) {
          if (readExclusive()?.user === j.user) fs.rmSync(EXCLUSIVE, { force: true });
          return 'the journal is the machine\'s own journald, whose files tests never remove';
        }
        const ex = readExclusive();
        if (ex && ex.user !== j.user) { others = [`${ex.pid} (exclusive)`]; return undefined; }
        others = liveUsers();
        fs.mkdirSync(STATE_DIR, { recursive: true });
        if (others.length) {
          if (!ex) fs.writeFileSync(EXCLUSIVE, JSON.stringify({ pid: process.pid, user: j.user, held: false } satisfies Exclusive));
          return undefined;
        }
        state ??= await startJournald();
        fs.writeFileSync(EXCLUSIVE, JSON.stringify({ pid: process.pid, user: j.user, held: true } satisfies Exclusive));
        fs.mkdirSync(USERS, { recursive: true });
        fs.writeFileSync(path.join(USERS, j.user), '');
        j.exclusive = true;
        return j;
      });
      if (r !== undefined) return r;
      if (Date.now() > end) {
        await locked(async () => { if (readExclusive()?.user === j.user) fs.rmSync(EXCLUSIVE, { force: true }); });
        throw new Error(`the test journald was still used by ${others.join(', ')} after ${ms / 1000} s; no exclusive hold`);
      }
      await sleep(100);
    }
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

  /**
   * Removes the archived journal files of the exclusively held journald (`journalctl
   * --vacuum-files=1` on its folder: only the active file stays); returns the names removed.
   */
  vacuum(): string[] {
    if (!this.exclusive || this.released) throw new Error('vacuum() needs the journal held through acquireExclusive()');
    const dir = journalDir();
    const before = fs.readdirSync(dir);
    execFileSync('journalctl', ['--directory', dir, '--vacuum-files=1'], { stdio: 'ignore', timeout: 30_000 });
    const after = new Set(fs.readdirSync(dir));
    return before.filter((n) => !after.has(n));
  }

  /** The other users of the started journald (pid.suffix of each live one but this). */
  otherUsers(): string[] {
    return this.started ? liveUsers().filter((u) => u !== this.user) : [];
  }

  /** The journal files of the started journald (names in its folder). */
  files(): string[] {
    return this.started ? fs.readdirSync(journalDir()) : [];
  }

  /** Stops the journald this process started or joined, once no other test process uses it. */
  async release(): Promise<void> {
    if (this.released || !this.started) return;
    this.released = true;
    await locked(async () => {
      fs.rmSync(path.join(USERS, this.user), { force: true });
      if (this.exclusive && readExclusive()?.user === this.user) fs.rmSync(EXCLUSIVE, { force: true });
      if (liveUsers().length) return;
      const state = readState();
      if (state) await stopStarted(state);
      fs.rmSync(USERS, { recursive: true, force: true });
    });
    try { fs.rmdirSync(STATE_DIR); } catch { /* another process took the lock meanwhile */ }
  }
}
