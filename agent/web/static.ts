import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { pipeline } from 'node:stream';

/** Where `node web/build.js` puts the page: <repo>/dist/web (this file runs from <repo>/dist/agent/web). */
export const DEFAULT_WEB_ROOT = path.join(__dirname, '..', '..', 'web');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file under root that a URL path names, or undefined when it names none or tries to leave
 * root: every segment is decoded first, so `%2e%2e` and `%2f` are caught like `..` and `/`.
 */
export function resolveStatic(root: string, urlPath: string): string | undefined {
  const segments = urlPath.split('/').filter((s) => s !== '');
  const decoded: string[] = [];
  for (const s of segments) {
    let d: string;
    try { d = decodeURIComponent(s); } catch { return undefined; }
    if (d === '.' || d === '..' || d.includes('/') || d.includes('\\') || d.includes('\0') || d.startsWith('.')) return undefined;
    decoded.push(d);
  }
  if (!decoded.length) decoded.push('index.html');
  const base = path.resolve(root);
  const file = path.resolve(base, ...decoded);
  if (!file.startsWith(base + path.sep)) return undefined;
  // A symlink inside the bundle must not lead out of it either.
  let real: string;
  try { real = fs.realpathSync(file); } catch { return undefined; }
  const realBase = fs.realpathSync(base);
  if (!real.startsWith(realBase + path.sep)) return undefined;
  return real;
}

/** Serves one file of the bundle: 503 while the bundle is not built, 404 for anything else missing. */
export function serveStatic(root: string, urlPath: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const text = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }).end(body);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    text(503, `the web page is not built: run \`npm run build\` in corral's folder (looked for ${path.join(root, 'index.html')})\n`);
    return;
  }
  const file = resolveStatic(root, urlPath);
  let st: fs.Stats | undefined;
  try { st = file ? fs.statSync(file) : undefined; } catch { st = undefined; }
  if (!file || !st?.isFile()) {
    text(404, `not found: ${urlPath}\n`);
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': st.size,
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') { res.end(); return; }
  // pipeline, not pipe: a client that goes before the end closes the file too (else one fd
  // leaked per aborted request); a read error ends the response.
  pipeline(fs.createReadStream(file), res, () => undefined);
}
