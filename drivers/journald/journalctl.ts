import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { JournalJson } from './decode';

/** Where journalctl reads: the machine's journal, or a folder of journal files (tests, other roots). */
export interface JournalLocation {
  /** The journalctl binary (default: from PATH). */
  journalctl?: string;
  /** `--directory`: read journal files from here instead of the system's journal. */
  directory?: string;
}

/**
 * Runs `journalctl -o json --all` with args and yields its entries as they come. Stopping the
 * iteration (return, or signal) kills journalctl. A journalctl that fails without printing an
 * entry throws its own message; "no journal files" is an empty journal, not an error.
 */
export async function* journalEntries(loc: JournalLocation, args: readonly string[], signal: AbortSignal): AsyncGenerator<JournalJson & { __CURSOR?: string }> {
  if (signal.aborted) return;
  const argv = ['-o', 'json', '--all', '--no-pager', '-q', ...(loc.directory ? ['--directory', loc.directory] : []), ...args];
  const child = spawn(loc.journalctl ?? 'journalctl', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); };
  signal.addEventListener('abort', kill, { once: true });
  const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      if (!line) continue;
      let e: JournalJson;
      try {
        e = JSON.parse(line) as JournalJson;
      } catch {
        continue; // journalctl prints whole entries; a cut one only comes from a kill
      }
      n++;
      yield e;
    }
    const { code, error } = await exited;
    if (signal.aborted) return;
    if (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(missing ? 'journalctl is not installed: the journald driver reads its logs back with journalctl (apt-get install systemd)' : `journalctl: ${error.message}`);
    }
    if (code !== 0 && n === 0 && !/No journal files were (found|opened)/i.test(stderr)) {
      throw new Error(`journalctl ${argv.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no message'}`);
    }
  } finally {
    signal.removeEventListener('abort', kill);
    lines.close();
    kill();
  }
}

/** journalctl's `@seconds.micros` form of a time in ns, rounded down (journalctl keeps µs). */
export function atTime(ns: bigint): string {
  const us = ns / 1000n - (ns < 0n && ns % 1000n !== 0n ? 1n : 0n);
  const s = us / 1_000_000n;
  const frac = us % 1_000_000n;
  return `@${s}.${String(frac < 0n ? -frac : frac).padStart(6, '0')}`;
}
