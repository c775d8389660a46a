import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The file operations the cgroup code needs, behind one seam so tests can run the
 * backends against fixture trees and inject the kernel's refusals (EINVAL, EBUSY,
 * ENOSPC...) that a plain directory never gives. Synchronous: cgroupfs files are
 * in-memory and answer in microseconds, and all-or-nothing updates are simpler
 * without interleaving.
 */
export interface CgroupFs {
  read(file: string): string;
  /** Writes value to an existing file (never creates one: cgroupfs can't either). */
  write(file: string, value: string): void;
  exists(file: string): boolean;
  /** Creates dir; false if it was already there. */
  mkdir(dir: string): boolean;
  rmdir(dir: string): void;
  /** Names of the sub-directories (child cgroups) of dir. */
  subdirs(dir: string): string[];
  /** Opens file for repeated whole-file reads (see FileReader). */
  open(file: string): FileReader;
}

/** A file kept open and re-read from offset 0: the cheap way to sample cgroup files. */
export interface FileReader {
  read(): string;
  close(): void;
}

const STRERROR: Record<string, string> = {
  EINVAL: 'invalid argument', EBUSY: 'device or resource busy', ENOSPC: 'no space left on device',
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'operation not permitted',
  ERANGE: 'numerical result out of range', ENODEV: 'no such device', EROFS: 'read-only file system',
  EAGAIN: 'resource temporarily unavailable', ENOTEMPTY: 'directory not empty', EEXIST: 'file exists',
  ESRCH: 'no such process',
};

/** A cgroup file operation failed; the message names the file, the value and the errno. */
export class CgroupFsError extends Error {
  constructor(readonly op: 'read' | 'write' | 'mkdir' | 'rmdir' | 'open', readonly file: string,
    readonly code: string, readonly value?: string, hint?: string) {
    const what = op === 'write' ? `write ${JSON.stringify(value)} to ${file}` : `${op} ${file}`;
    super(`cannot ${what}: ${STRERROR[code] ?? code} (${code})${hint ? `: ${hint}` : ''}`);
    this.name = 'CgroupFsError';
  }
}

export function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'EIO';
}

/** Turns any thrown fs error into a CgroupFsError naming the file (and value for writes). */
export function wrapFsError(e: unknown, op: CgroupFsError['op'], file: string, value?: string): CgroupFsError {
  return e instanceof CgroupFsError ? e : new CgroupFsError(op, file, errnoOf(e), value);
}

const W_FLAGS = fs.constants.O_WRONLY | fs.constants.O_TRUNC;

/** The real filesystem. */
export const realFs: CgroupFs = {
  read(file) {
    try { return fs.readFileSync(file, 'latin1'); } catch (e) { throw wrapFsError(e, 'read', file); }
  },
  write(file, value) {
    let fd: number;
    try { fd = fs.openSync(file, W_FLAGS); } catch (e) { throw wrapFsError(e, 'write', file, value); }
    try { fs.writeSync(fd, value); } catch (e) { throw wrapFsError(e, 'write', file, value); } finally { fs.closeSync(fd); }
  },
  exists(file) {
    return fs.existsSync(file);
  },
  mkdir(dir) {
    try { fs.mkdirSync(dir); return true; } catch (e) {
      if (errnoOf(e) === 'EEXIST') return false;
      throw wrapFsError(e, 'mkdir', dir);
    }
  },
  rmdir(dir) {
    try { fs.rmdirSync(dir); } catch (e) { throw wrapFsError(e, 'rmdir', dir); }
  },
  subdirs(dir) {
    try {
      return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return [];
      throw wrapFsError(e, 'read', dir);
    }
  },
  open(file) {
    if (keptOpen >= openBudget) return new TransientReader(file);
    try {
      return new FdReader(file);
    } catch (e) {
      // Out of fds: sample the slow way rather than not at all.
      if (e instanceof CgroupFsError && (e.code === 'EMFILE' || e.code === 'ENFILE')) return new TransientReader(file);
      throw e;
    }
  },
};

/**
 * How many sampling fds may stay open at once: a v1 workload keeps 11, so 1000 workloads
 * need 11000. Beyond the budget (the soft RLIMIT_NOFILE minus a reserve for everything
 * else) files are opened per read instead: slower, never failing for want of fds.
 */
let openBudget = defaultBudget();
let keptOpen = 0;

function defaultBudget(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    const soft = !m || m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
    return Math.max(0, soft - Math.max(256, Math.floor(soft / 4)));
  } catch {
    return 512;
  }
}

export function setOpenFileBudget(n: number): void {
  openBudget = n;
}

export function openFileCount(): number {
  return keptOpen;
}

/**
 * Shared by every reader: reads are synchronous and the text is copied out at once, so one
 * buffer serves a thousand cgroups (a buffer per file would be tens of MB, and cold in cache).
 */
let shared = Buffer.allocUnsafe(16384);

/** One fd kept open, pread at offset 0: a single syscall per sample instead of open+read+close. */
class FdReader implements FileReader {
  private fd: number;
  constructor(private readonly file: string) {
    try { this.fd = fs.openSync(file, 'r'); } catch (e) { throw wrapFsError(e, 'open', file); }
    keptOpen++;
  }
  read(): string {
    if (this.fd < 0) throw new CgroupFsError('read', this.file, 'EBADF');
    return readAt0(this.fd, this.file);
  }
  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
    keptOpen--;
  }
}

/** Over the fd budget: open, read, close each time. */
class TransientReader implements FileReader {
  constructor(private readonly file: string) {
    if (!fs.existsSync(file)) throw new CgroupFsError('open', file, 'ENOENT');
  }
  read(): string {
    let fd: number;
    try { fd = fs.openSync(this.file, 'r'); } catch (e) { throw wrapFsError(e, 'read', this.file); }
    try { return readAt0(fd, this.file); } finally { fs.closeSync(fd); }
  }
  close(): void {}
}

function readAt0(fd: number, file: string): string {
  for (let i = 0; i < 8; i++) {
    let n: number;
    try { n = fs.readSync(fd, shared, 0, shared.length, 0); } catch (e) { throw wrapFsError(e, 'read', file); }
    if (n < shared.length) return shared.toString('latin1', 0, n);
    shared = Buffer.allocUnsafe(shared.length * 4);
  }
  throw new CgroupFsError('read', file, 'EFBIG');
}

/** One injected failure: the op on files whose path ends with `file` fails with `code`. */
export interface Fault {
  op: 'write' | 'read' | 'mkdir' | 'rmdir' | 'open';
  file: string;
  code: string;
  /** Only when the written value matches. */
  value?: string | RegExp;
  /** Fail this many times, then behave (default: always). */
  times?: number;
}

/** Wraps a CgroupFs so chosen operations fail as the kernel would refuse them. */
export function withFaults(base: CgroupFs, faults: Fault[]): CgroupFs & { faults: Fault[] } {
  const hit = (op: Fault['op'], file: string, value?: string): Fault | undefined => {
    const f = faults.find((x) => x.op === op && file.endsWith(x.file) && (x.times ?? 1) > 0 &&
      (x.value === undefined || (typeof x.value === 'string' ? x.value === value : x.value.test(value ?? ''))));
    if (f && f.times !== undefined) f.times--;
    return f;
  };
  return {
    faults,
    read: (file) => { const f = hit('read', file); if (f) throw new CgroupFsError('read', file, f.code); return base.read(file); },
    write: (file, value) => {
      const f = hit('write', file, value);
      if (f) throw new CgroupFsError('write', file, f.code, value);
      base.write(file, value);
    },
    exists: (file) => base.exists(file),
    mkdir: (dir) => { const f = hit('mkdir', dir); if (f) throw new CgroupFsError('mkdir', dir, f.code); return base.mkdir(dir); },
    rmdir: (dir) => { const f = hit('rmdir', dir); if (f) throw new CgroupFsError('rmdir', dir, f.code); base.rmdir(dir); },
    subdirs: (dir) => base.subdirs(dir),
    open: (file) => {
      const f = hit('open', file);
      if (f) throw new CgroupFsError('open', file, f.code);
      const r = base.open(file);
      return { read: () => { const g = hit('read', file); if (g) throw new CgroupFsError('read', file, g.code); return r.read(); }, close: () => r.close() };
    },
  };
}

export const join = path.join;
