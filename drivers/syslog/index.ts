import * as dns from 'node:dns/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import { DriverContext, DriverDefinition, LogDriver, SendResult } from '../../engine/logs/driver';
import { LogMessage } from '../../engine/logs/message';
import { expandTag } from '../shared/tag';
import { describeAddress } from './address';
import { SyslogEncoder } from './encode';
import { SyslogOptions, parseSyslogOptions } from './options';
import { SyslogLink } from './transport';

/** How long a connect may take before the send is answered with retry. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Docker's syslog driver: one message per line (or 16 KiB chunk), stdout at info and stderr at
 * err, in Docker's wire formats, over syslog-client's transport. A stream batch is one write;
 * the send resolves once the kernel has the bytes (backpressure), and syslog has no
 * acknowledgement, so what a server loses after that is not seen (as Docker).
 */
export class SyslogDriver implements LogDriver {
  readonly name = 'syslog';

  constructor(
    private readonly encoder: SyslogEncoder,
    private readonly link: SyslogLink,
    private readonly pid: () => number,
    private readonly where: string,
  ) {}

  async send(batch: readonly LogMessage[], signal: AbortSignal): Promise<SendResult> {
    const { buf, ends } = this.encoder.encode(batch, this.pid());
    if (!ends.length) return { status: 'ok' };
    try {
      await this.link.send(buf, ends, signal);
      return { status: 'ok' };
    } catch (e) {
      const error = new Error(`syslog ${this.where}: ${(e as Error).message}`);
      // A datagram the network refuses for its size never goes; anything else is the server's state.
      if ((e as NodeJS.ErrnoException).code === 'EMSGSIZE') return { status: 'fail', error };
      return { status: 'retry', error };
    }
  }

  async close(): Promise<void> {
    this.link.close();
  }
}

export function openSyslogDriver(o: SyslogOptions, ctx: DriverContext, hostname = ctx.hostname ?? os.hostname()): SyslogDriver {
  const encoder = new SyslogEncoder({
    format: o.format,
    facility: o.facility,
    tag: expandTag(o.tag, ctx),
    hostname,
    octetCounting: o.address.kind === 'tcp+tls' && o.format.startsWith('rfc5424'),
  });
  // Nothing connects here: the first send does, so a down server never delays the workload.
  return new SyslogDriver(encoder, new SyslogLink(o.address, o.tls, CONNECT_TIMEOUT_MS), ctx.pid, describeAddress(o.address));
}

/** Connects once (stream transports) or resolves the host (udp, which has no handshake to try). */
async function probeSyslog(o: SyslogOptions, _ctx: DriverContext, timeoutMs: number): Promise<void> {
  const a = o.address;
  if (a.kind === 'udp') {
    if (!net.isIP(a.host)) await dns.lookup(a.host);
    return;
  }
  const link = new SyslogLink(a, o.tls, timeoutMs);
  try {
    await link.connect(AbortSignal.timeout(timeoutMs));
  } catch (e) {
    throw new Error(`${describeAddress(a)}: ${(e as Error).message}`);
  } finally {
    link.close();
  }
}

export const syslog: DriverDefinition<SyslogOptions> = {
  name: 'syslog',
  parseOptions: parseSyslogOptions,
  batch: { maxEvents: 8192, maxBytes: 4 << 20, flushMs: 0 },
  create: async (o, ctx) => openSyslogDriver(o, ctx),
  probe: probeSyslog,
};
