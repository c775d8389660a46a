import * as fs from 'node:fs';
import * as net from 'node:net';
import { OptionError } from '../../engine/logs/driver';

/** Where syslog lines go, from Docker's `syslog-address`. */
export type SyslogAddress =
  | { kind: 'udp' | 'tcp' | 'tcp+tls'; host: string; port: number }
  | { kind: 'unix' | 'unixgram'; path: string }
  /** Empty address: the machine's own syslog socket, as Docker. */
  | { kind: 'local' };

/** Docker's local syslog sockets, tried in this order. */
export const LOCAL_SOCKETS = ['/dev/log', '/var/run/syslog', '/var/run/log'] as const;

const DEFAULT_PORT = 514;
const FORMS = 'udp://host[:port], tcp://host[:port], tcp+tls://host[:port], unix:///path or unixgram:///path';

function bad(text: string, why: string): OptionError {
  return new OptionError(`invalid value "${text}" for log opt syslog-address: ${why} (expected ${FORMS})`);
}

/** Docker's parseAddress: the scheme picks the transport, port 514 when absent, unix paths must exist. */
export function parseAddress(text: string): SyslogAddress {
  if (text === '') return { kind: 'local' };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) throw bad(text, 'no scheme');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(text, 'not a valid address');
  }
  if (scheme === 'unix' || scheme === 'unixgram') {
    const path = decodeURIComponent(url.pathname);
    try {
      fs.statSync(path);
    } catch (e) {
      throw bad(text, `stat ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    return { kind: scheme, path };
  }
  if (scheme !== 'udp' && scheme !== 'tcp' && scheme !== 'tcp+tls') throw bad(text, `unsupported scheme: '${scheme}'`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad(text, 'missing host');
  if (host.includes(':') && !net.isIPv6(host)) throw bad(text, `bad host '${host}'`);
  return { kind: scheme, host, port: url.port ? Number(url.port) : DEFAULT_PORT };
}

/** For messages: the address as the user would write it. */
export function describeAddress(a: SyslogAddress): string {
  switch (a.kind) {
    case 'local': return `the local syslog socket (${LOCAL_SOCKETS.join(', ')})`;
    case 'unix': case 'unixgram': return `${a.kind}://${a.path}`;
    default: return `${a.kind}://${net.isIPv6(a.host) ? `[${a.host}]` : a.host}:${a.port}`;
  }
}
