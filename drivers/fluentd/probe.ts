import * as net from 'node:net';
import * as tls from 'node:tls';
import { FluentdAddress, describeAddress } from './address';

/** Connects once (TLS: completes the TLS handshake) and hangs up; throws saying what failed. */
export function probeFluentd(a: FluentdAddress, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = a.scheme === 'unix' ? net.connect(a.path) : a.scheme === 'tls' ? tls.connect({ host: a.host, port: a.port }) : net.connect(a.port, a.host);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(new Error(`fluentd at ${describeAddress(a)}: ${err.message}`));
      else resolve();
    };
    const timer = setTimeout(() => finish(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once(a.scheme === 'tls' ? 'secureConnect' : 'connect', () => finish());
    socket.once('error', finish);
  });
}
