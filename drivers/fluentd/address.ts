import { OptionError } from '../../engine/logs/driver';

/** Where the Forward server listens: tcp (the default), tls, or a unix socket. */
export type FluentdAddress =
  | { readonly scheme: 'tcp' | 'tls'; readonly host: string; readonly port: number }
  | { readonly scheme: 'unix'; readonly path: string };

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 24224;
const FORMS = 'expected host:port, tcp://host:port, tls://host:port or unix:///path';

/** Docker's parseAddress: empty means 127.0.0.1:24224, no scheme means tcp, tcp/tls take no path. */
export function parseFluentdAddress(text: string | undefined): FluentdAddress {
  if (!text) return { scheme: 'tcp', host: DEFAULT_HOST, port: DEFAULT_PORT };
  const bad = (why: string) => new OptionError(`invalid value "${text}" for log opt fluentd-address: ${why} (${FORMS})`);
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `tcp://${text}`);
  } catch {
    throw bad('not a valid address or port');
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'unix') {
    const path = decodeURIComponent(url.pathname);
    if (!path.replace(/^\/+/, '')) throw bad('path is empty');
    return { scheme, path };
  }
  if (scheme !== 'tcp' && scheme !== 'tls') throw bad(`unsupported scheme: '${scheme}'`);
  if (url.pathname && url.pathname !== '/') throw bad('should not contain a path element');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || DEFAULT_HOST;
  return { scheme, host, port: url.port ? Number(url.port) : DEFAULT_PORT };
}

export function describeAddress(a: FluentdAddress): string {
  return a.scheme === 'unix' ? `unix://${a.path}` : `${a.scheme}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
