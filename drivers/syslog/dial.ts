import * as net from 'node:net';
import * as tls from 'node:tls';
import { LOCAL_SOCKETS, SyslogAddress } from './address';
import { TlsFiles } from './options';
import { UnixDatagram, unixgramSupported } from './unixgram';

/** Opens a connected stream socket, or a unix datagram socket, (or fails) within timeoutMs. */
export type Dialer = (timeoutMs: number) => Promise<net.Socket | UnixDatagram>;

function connected(open: () => net.Socket, ready: 'connect' | 'secureConnect', timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = open();
    const fail = (e: Error) => { socket.destroy(); reject(e); };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no connection within ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once(ready, () => {
      socket.setTimeout(0);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

function tlsDialer(host: string, port: number, files: TlsFiles): Dialer {
  const options: tls.ConnectionOptions = {
    host, port, ca: files.ca, cert: files.cert, key: files.key,
    rejectUnauthorized: !files.skipVerify,
    // SNI takes names only; an IP is still checked against the certificate's IP SANs.
    servername: net.isIP(host) ? undefined : host,
  };
  return (timeoutMs) => connected(() => tls.connect(options), 'secureConnect', timeoutMs);
}

const unixDialer = (path: string): Dialer => (timeoutMs) => connected(() => net.connect({ path }), 'connect', timeoutMs);
const unixgramDialer = (path: string): Dialer => async () => UnixDatagram.connect(path);

/** Docker tries each local socket in turn, as a datagram socket, then as a stream socket. */
const localDialer: Dialer = async (timeoutMs) => {
  const tried: string[] = [];
  for (const path of LOCAL_SOCKETS) {
    for (const dial of unixgramSupported() ? [unixgramDialer(path), unixDialer(path)] : [unixDialer(path)]) {
      try {
        return await dial(timeoutMs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EPROTOTYPE') { tried.push(`${path}: ${code ?? (e as Error).message}`); break; }
      }
    }
  }
  throw new Error(`no local syslog socket answers (${tried.join('; ')}); set syslog-address`);
};

/** The addresses syslog-client cannot open itself; udp and tcp are left to it. */
export function dialerFor(address: SyslogAddress, files: TlsFiles): Dialer | undefined {
  switch (address.kind) {
    case 'tcp+tls': return tlsDialer(address.host, address.port, files);
    case 'unix': return unixDialer(address.path);
    case 'unixgram': return unixgramDialer(address.path);
    case 'local': return localDialer;
    default: return undefined;
  }
}
