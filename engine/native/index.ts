import * as util from 'node:util';
import * as path from 'node:path';

/**
 * corral's optional native addon (engine/native/corral.c, built by `npm ci` through node-gyp).
 * Every function here has a pure-TypeScript twin that is used when the addon is missing
 * (no compiler on the machine) or disabled with CORRAL_NO_NATIVE=1; both give the same bytes.
 */
export interface NativeBinding {
  /** F_SETPIPE_SZ (beyond /proc/sys/fs/pipe-max-size only for root): the new size, or -errno. */
  setPipeSize(fd: number, bytes: number): number;
  /** Docker's json-file escaping of src[start, end) into out at pos: the new position, or -1 if out may be too small. */
  escape(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number): number;
  /**
   * One entry (prefix + escaped line + suffix) per '\n'-separated line of src[start, end), the last
   * line ending at end; ends[at + k] gets the offset after entry k. Returns the number of entries,
   * or -1 when out (which needs room for 6 bytes per source byte plus the fixed parts) or ends is too small.
   */
  encodeLines(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number,
    prefix: Uint8Array, suffix: Uint8Array, ends: Int32Array, at: number): number;
  /** A non-blocking AF_UNIX datagram socket connected to path: the fd, or -errno. */
  unixDgramConnect(path: string): number;
  /** send(2) of one datagram: bytes sent, or -errno (-11 EAGAIN when the receiver's queue is full). */
  dgramSend(fd: number, buf: Buffer): number;
  /** buf in a sealed memfd, sent as SCM_RIGHTS on an empty datagram (the journal's large entries): 0, or -errno. */
  dgramSendMemfd(fd: number, buf: Buffer): number;
  /** poll(POLLOUT) on the thread pool, at most ms: 1 writable, 0 timed out, or -errno. */
  waitWritable(fd: number, ms: number): Promise<number>;
  /** Offsets of the '\n' bytes in src[start, end), written to positions; returns how many (at most its length). */
  newlines(src: Uint8Array, start: number, end: number, positions: Int32Array): number;
}

let loadError: string | undefined;

function load(): NativeBinding | null {
  if (process.env['CORRAL_NO_NATIVE'] === '1') {
    loadError = 'disabled by CORRAL_NO_NATIVE=1';
    return null;
  }
  // dist/engine/native/index.js -> engine/native/build/Release; or next to the source when run from it.
  const candidates = [
    path.join(__dirname, '..', '..', '..', 'engine', 'native', 'build', 'Release', 'corral_native.node'),
    path.join(__dirname, 'build', 'Release', 'corral_native.node'),
  ];
  const errors: string[] = [];
  for (const file of candidates) {
    try {
      return require(file) as NativeBinding;
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  loadError = `native addon not built (${errors.join('; ')}); using the TypeScript fallback`;
  return null;
}

/** The addon, or null when it is not available (then callers use their TypeScript path). */
export const native: NativeBinding | null = load();

/** Why the addon is not in use (undefined when it is). */
export function nativeUnavailableReason(): string | undefined {
  return native ? undefined : loadError;
}

/**
 * Asks the kernel for a pipe buffer of `bytes` (beyond /proc/sys/fs/pipe-max-size only when privileged), so a
 * fast writer blocks less and each read finds more. False when the addon is missing or the
 * kernel refused (then the pipe keeps its size; nothing else changes).
 */
export function setPipeSize(fd: number, bytes: number): boolean {
  if (!native || !Number.isInteger(fd) || fd < 0 || !(bytes > 0)) return false;
  try {
    return native.setPipeSize(fd, Math.floor(bytes)) > 0;
  } catch {
    return false;
  }
}

/** The error for a negative errno the addon returned (its calls answer -errno rather than throw). */
export function errnoError(errno: number, what: string): NodeJS.ErrnoException {
  let code: string;
  try { code = util.getSystemErrorName(-errno); } catch { code = `E${errno}`; }
  const e: NodeJS.ErrnoException = new Error(`${what}: ${code}`);
  e.code = code;
  e.errno = errno;
  return e;
}
