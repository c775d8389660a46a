import * as fs from 'node:fs';
import * as net from 'node:net';

export interface WebAddr { host: string; port: number }

/** Parses `--web-addr`: host:port ([v6]:port), or '' / 'off' for none. A bare host gets 127.0.0.1. */
export function parseWebAddr(text: string): WebAddr | null {
  if (text === '' || text === 'off') return null;
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`invalid value "${text}" for --web-addr: expected host:port like 127.0.0.1:9324, or off`);
  return { host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return host === '::1';
}

/** host:port as a URL's authority (IPv6 in brackets). */
export function authority(a: WebAddr): string {
  return `${net.isIPv6(a.host) ? `[${a.host}]` : a.host}:${a.port}`;
}

/** The page's address for a browser on this host: a wildcard listener is reached on loopback. */
export function localUrl(a: WebAddr): string {
  const host = a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host;
  return `http://${authority({ host, port: a.port })}/`;
}

/**
 * The token from `--web-token`, `--web-token-file` (first line, trailing whitespace trimmed) or env CORRAL_WEB_TOKEN, in that
 * order; undefined for none. One of the flags with the other is refused.
 */
export function webToken(flag: string | undefined, file: string | undefined, env: string | undefined): string | undefined {
  if (flag !== undefined && file !== undefined) throw new Error('give either --web-token or --web-token-file, not both');
  let token = flag;
  if (file !== undefined) {
    try {
      // Trailing blanks (an editor's, a CR of a DOS file) are not part of the token.
      token = fs.readFileSync(file, 'utf8').split('\n')[0]!.replace(/\s+$/, '');
    } catch (e) {
      throw new Error(`invalid value "${file}" for --web-token-file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!token) throw new Error(`invalid value "${file}" for --web-token-file: the file's first line is empty`);
    if (!/^[!-~]{1,1024}$/.test(token)) throw new Error(`invalid value "${file}" for --web-token-file: the file's first line must be the token alone, 1 to 1024 printable ASCII characters without spaces`);
  }
  token ??= env || undefined;
  if (token !== undefined && !/^[!-~]{1,1024}$/.test(token)) {
    throw new Error('invalid web token: expected 1 to 1024 printable ASCII characters without spaces (--web-token, --web-token-file or CORRAL_WEB_TOKEN)');
  }
  return token;
}
