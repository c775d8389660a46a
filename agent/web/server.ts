import * as http from 'node:http';
import { decodeRef } from '../api/server';
import { ApiError } from '../errors';
import { redactText } from '../redact';
import { Answer, ApiRoute, WebApiDeps, apiRoutes } from './api';
import { WebAuth } from './auth';
import { WebAddr, authority, isLoopback } from './options';
import { DEFAULT_WEB_ROOT, serveStatic } from './static';

export interface WebOptions {
  addr: WebAddr;
  /** Undefined: no login (fine on loopback). */
  token?: string;
  /** The built page; default <repo>/dist/web. */
  root?: string;
}

/** Every answer: no framing by other sites, no referrer leaking the agent's address, no sniffing. */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

const MAX_LOGIN_BODY = 4096;

function answer(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (status === 204) { res.writeHead(204, headers).end(); return; }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-cache', ...headers }).end(JSON.stringify(body ?? {}));
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const c of req) {
    text += c;
    if (text.length > MAX_LOGIN_BODY) throw new ApiError(413, `request body too large (at most ${MAX_LOGIN_BODY} bytes)`);
  }
  try { return JSON.parse(text || '{}'); } catch { throw new ApiError(400, 'request body is not valid JSON: expected {"token": "..."}'); }
}

/**
 * A browser reaching a loopback listener by another name is a DNS-rebinding page in disguise:
 * on loopback, only loopback names and addresses are accepted in Host.
 */
function hostAllowed(req: http.IncomingMessage, addr: WebAddr): boolean {
  if (!isLoopback(addr.host)) return true;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return isLoopback(host);
}

/** The web view's listener: the page's files, its JSON/SSE API under /api, and login. */
export class WebServer {
  private readonly server: http.Server;
  private readonly routes: ApiRoute[];
  private readonly auth: WebAuth;
  private readonly root: string;
  /** Answers not closed yet (streams included). */
  private readonly answering = new Set<http.ServerResponse>();

  constructor(private readonly o: WebOptions, deps: WebApiDeps) {
    this.auth = new WebAuth(o.token);
    this.routes = apiRoutes(deps);
    this.root = o.root ?? DEFAULT_WEB_ROOT;
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new Error(`cannot serve the web view on --web-addr ${authority(this.o.addr)}: ${e.code === 'EADDRINUSE' ? 'the address is in use' : e.code === 'EADDRNOTAVAIL' ? 'no such address on this host' : e.message}`)));
      this.server.listen(this.o.addr.port, this.o.addr.host, () => resolve());
    });
  }

  /** Where it listens: the port bound, also for --web-addr HOST:0 (after listen()). */
  get addr(): WebAddr {
    const a = this.server.address();
    return { host: this.o.addr.host, port: a && typeof a === 'object' ? a.port : this.o.addr.port };
  }

  /**
   * Ends every connection and waits until each open answer has seen its close, so every stream
   * (a log follow above all) has stopped by then, not some ticks later.
   */
  async close(): Promise<void> {
    const closed = [...this.answering].map((res) => new Promise((r) => res.once('close', r)));
    this.server.closeAllConnections();
    await Promise.all([...closed, new Promise((r) => this.server.close(r))]);
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.answering.add(res);
    res.once('close', () => this.answering.delete(res));
    for (const [k, v] of Object.entries(COMMON_HEADERS)) res.setHeader(k, v);
    // The path as sent: URL() would resolve `..` before static.ts could refuse it.
    const raw = req.url ?? '/';
    const pathname = raw.split('?')[0]!;
    const query = new URLSearchParams(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '');
    try {
      if (!hostAllowed(req, this.o.addr)) throw new ApiError(421, 'this agent answers only to loopback host names (Host header)');
      if (pathname === '/login' || pathname === '/logout') return await this.login(req, res, pathname);
      if (pathname === '/api' || pathname.startsWith('/api/')) return await this.api(req, res, pathname, query);
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, `method ${req.method} not allowed for ${pathname}`);
      serveStatic(this.root, pathname, req, res);
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 500;
      const message = redactText((e as Error).message);
      if (!res.headersSent) answer(res, status, { error: message });
      else res.end();
    }
  }

  private async api(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, query: URLSearchParams): Promise<void> {
    if (!this.auth.allows(req)) throw new ApiError(401, 'login required');
    const route = this.routes.find((r) => r.method === req.method && r.pattern.test(pathname));
    if (!route) {
      const other = this.routes.some((r) => r.pattern.test(pathname));
      throw new ApiError(other ? 405 : 404, other ? `method ${req.method} not allowed for ${pathname}` : `no such endpoint: ${req.method} ${pathname}`);
    }
    const m = route.pattern.exec(pathname)!;
    const a: Answer = await route.handler({ ref: decodeRef(m[1] ?? ''), query, req, res });
    if (a && !res.headersSent) answer(res, a.status, a.body);
  }

  private async login(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'POST') throw new ApiError(405, `${pathname} takes POST`);
    if (pathname === '/logout') { answer(res, 204, undefined, { 'set-cookie': this.auth.logout(req) }); return; }
    if (!this.auth.enabled) { answer(res, 200, { login: 'not required' }); return; }
    const body = await readBody(req);
    const cookie = this.auth.login((body as { token?: unknown } | null)?.token);
    if (!cookie) throw new ApiError(401, 'wrong token');
    answer(res, 204, undefined, { 'set-cookie': cookie });
  }
}
