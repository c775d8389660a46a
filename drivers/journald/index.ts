import { DriverContext, DriverDefinition, LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage } from '../../engine/logs/message';
import { extraAttributes } from '../shared/attrs';
import { expandTag } from '../shared/tag';
import { jsonFile, openJsonFileDriver } from '../json-file';
import { EntryEncoder } from './entry';
import { JournaldOptions, parseJournaldOptions } from './options';
import { openJournalReader } from './reader';
import { JournalSocket } from './socket';

/** How long a send waits on a full journald queue before it answers retry (the outlet then backs off). */
const FULL_QUEUE_MS = 2_000;
/** The longest single wait for room, so an abort (the outlet closing) is seen soon. */
const WAIT_SLICE_MS = 50;

/** Where a driver's writing ended: a follower has read everything once it saw `ordinal` of `epoch`. */
export interface WriterEnd {
  epoch: string;
  /** The ordinal of the last entry journald took (0: none). */
  ordinal: number;
}

interface Pending {
  batch: readonly LogMessage[];
  datagrams: Buffer[];
  /** The ordinal of datagrams[0]. */
  first: number;
  /** How many have gone. */
  done: number;
}

/**
 * Docker's journald driver: one journal entry per line (or 16 KiB chunk) over the journal's
 * native datagram socket. A full socket queue (EAGAIN) is waited on (for room, on the thread
 * pool), and after FULL_QUEUE_MS without any answered with retry,
 * so the outlet's mode decides (blocking: the workload waits; non-blocking: its buffer drops and
 * counts); nothing is lost in the socket. A retried batch resumes after the last datagram that went.
 */
export class JournaldDriver implements LogDriver {
  readonly name = 'journald';
  private pending: Pending | undefined;
  private lastSent = 0;
  private tooLarge = 0;
  private endResolve!: (e: WriterEnd) => void;
  /** Resolves once the driver has closed (the run ended), saying where its entries end. */
  readonly ended: Promise<WriterEnd> = new Promise((r) => (this.endResolve = r));

  constructor(private readonly encoder: EntryEncoder, private readonly socket: JournalSocket) {}

  get epoch(): string {
    return this.encoder.epoch;
  }

  async send(batch: readonly LogMessage[], signal: AbortSignal): Promise<SendResult> {
    if (this.pending?.batch !== batch) {
      const first = this.encoder.lastOrdinal + 1;
      this.pending = { batch, datagrams: batch.map((m) => this.encoder.encode(m)), first, done: 0 };
    }
    const p = this.pending;
    let waited = 0;
    while (p.done < p.datagrams.length) {
      const r = this.socket.send(p.datagrams[p.done]!);
      if (r.ok) {
        this.lastSent = p.first + p.done++;
        waited = 0;
        continue;
      }
      if (r.error.code === 'EMSGSIZE') {
        // Even the memfd way refused it (past what the kernel takes): counted as dropped, the rest goes on.
        this.tooLarge++;
        p.done++;
        continue;
      }
      if (!r.again) return { status: 'retry', error: new Error(`journald: ${r.error.message}`) };
      if (signal.aborted || waited >= FULL_QUEUE_MS) {
        return { status: 'retry', error: new Error(`journald is not keeping up: its socket queue stayed full for ${waited} ms`) };
      }
      // Node has no writable event for this fd: the native addon polls it on the thread pool,
      // woken as soon as journald reads from its queue (as short as the kernel's default of 10
      // datagrams without systemd's sysctl), in slices so an abort is seen.
      const t = Date.now();
      await this.socket.waitWritable(Math.min(WAIT_SLICE_MS, FULL_QUEUE_MS - waited));
      waited += Date.now() - t;
    }
    this.pending = undefined;
    return { status: 'ok' };
  }

  /** Entries the socket refused even as a memfd: the agent counts them as dropped. */
  rejections(): Record<string, number> {
    return this.tooLarge ? { 'entry-too-large': this.tooLarge } : {};
  }

  async close(): Promise<void> {
    await this.socket.closeWhenIdle();
    this.endResolve({ epoch: this.encoder.epoch, ordinal: this.lastSent });
  }
}

/** The local json-file log a workload falls back to with journald-require=false: corral's cache, Docker's defaults. */
const CACHE = { 'max-size': '20m', 'max-file': '5', compress: 'true' };

const notRunning = (e: Error): string => `journald is not running on this host (${e.message})`;
const refusal = (why: string): string => `${why}: start systemd-journald, or use --log-opt journald-require=false to keep the lines in corral's local cache instead`;

/** `create` refuses a workload whose journald is not listening (unless journald-require=false), not its start. */
function checkJournal(o: JournaldOptions): void {
  if (!o.require) return;
  const socket = new JournalSocket(o.socket);
  try {
    socket.connect();
  } catch (e) {
    throw new Error(refusal(notRunning(e as Error)));
  } finally {
    socket.close();
  }
}

export async function openJournaldDriver(o: JournaldOptions, ctx: DriverContext): Promise<LogDriver> {
  const tag = expandTag(o.tag, ctx);
  const socket = new JournalSocket(o.socket);
  try {
    socket.connect();
  } catch (e) {
    const why = notRunning(e as Error);
    if (o.require) throw new Error(refusal(why));
    process.emitWarning(`${ctx.name}: ${why}; its lines go to corral's local cache (journald-require=false)`);
    return openJsonFileDriver(jsonFile.parseOptions(CACHE), ctx);
  }
  const encoder = new EntryEncoder({ id: ctx.id, name: ctx.name, tag, attrs: extraAttributes(o.attrs, ctx) });
  return new JournaldDriver(encoder, socket);
}

export const journald: DriverDefinition<JournaldOptions> = {
  name: 'journald',
  parseOptions: parseJournaldOptions,
  batch: { maxEvents: 4096, maxBytes: 4 << 20, flushMs: 0 },
  // A full journald queue clears in milliseconds: back off briefly, not the remote drivers' seconds.
  retry: { baseMs: 5, capMs: 1_000 },
  create: openJournaldDriver,
  // Checked at create, not probed: a probe would make journald remote (its runs' ends not waiting for it).
  preflight: checkJournal,
  openReader: (_o, ctx) => openJournalReader({ id: ctx.id }),
  // With journald-require=false a run without journald writes the local cache instead.
  writesLocalLog: (o) => !o.require,
  // journald can stop or restart under a running workload (the socket reconnects lazily): spool-dir keeps the lines meanwhile.
  spool: true,
  // A journald that stopped reading (a full queue, never emptied) must not hold the run's end: stop and rm leave it draining.
  daemon: true,
};
