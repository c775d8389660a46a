import * as fs from 'node:fs';
import * as http from 'node:http';
import { ApiError } from '../errors';
import { redactText } from '../redact';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, params: { ref: string; query: URLSearchParams; body: unknown }) => Promise<unknown>;

interface Route { method: string; pattern: RegExp; handler: Handler }

/**
 * HTTP+JSON on a unix socket. A handler returns a value (sent as JSON) or writes a stream
 * itself; a thrown ApiError becomes {message} with its status, anything else a 500.
 */
export class ApiServer {
  private readonly routes: Route[] = [];
  private readonly server = http.createServer((req, res) => void this.dispatch(req, res));

  route(method: string, pattern: RegExp, handler: Handler): this {
    this.routes.push({ method, pattern, handler });
    return this;
  }

  async listen(socketPath: string): Promise<void> {
    fs.rmSync(socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      // bind(2) happens inside listen(): under this umask the socket is born 0600, so no one
      // else can connect before it gets its mode and group.
      const umask = process.umask(0o177);
      try { this.server.listen(socketPath, () => resolve()); } finally { process.umask(umask); }
    });
    fs.chmodSync(socketPath, 0o660);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://corral');
    // The path as sent: URL would resolve a reference of `..` or `.` into another endpoint.
    const pathname = (req.url ?? '/').split('?')[0]!;
    try {
      const route = this.routes.find((r) => r.method === req.method && r.pattern.test(pathname));
      if (!route) throw new ApiError(404, `no such endpoint: ${req.method} ${pathname}`);
      const m = route.pattern.exec(pathname)!;
      const body = await readJson(req);
      const result = await route.handler(req, res, { ref: decodeRef(m[1] ?? ''), query: url.searchParams, body });
      if (!res.headersSent) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result ?? {}));
      }
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 500;
      const exitCode = e instanceof ApiError ? e.exitCode : (e as { exitCode?: number }).exitCode ?? 125;
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: redactText((e as Error).message), exitCode }));
      } else {
        res.end(JSON.stringify({ w: redactText((e as Error).message) }) + '\n');
      }
    }
  }
}

/** A workload reference from the path; `%` alone or a cut `%E0%A4` is a bad request, not a crash. */
export function decodeRef(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ApiError(400, `invalid workload reference in the path: "${text}" is not URL-encoded text`);
  }
}

/** No request of the CLI comes near this; a bigger body would only fill the agent's memory. */
const MAX_BODY = 16 << 20;

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'DELETE') return undefined;
  const parts: Buffer[] = [];
  let size = 0;
  // Past the limit the rest is read and dropped (not kept), so the answer still reaches the client.
  for await (const c of req) if ((size += (c as Buffer).length) <= MAX_BODY) parts.push(c as Buffer);
  if (size > MAX_BODY) throw new ApiError(413, `request body too large: ${size} bytes (at most ${MAX_BODY})`);
  if (!parts.length) return undefined;
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new ApiError(400, 'request body is not valid JSON');
  }
}
