import * as http from 'node:http';
import { MetricsExporter } from './exporter';

/** Parses `--metrics-addr`: host:port (loopback unless told otherwise), or '' / 'off' for none. */
export function parseMetricsAddr(text: string): { host: string; port: number } | null {
  if (text === '' || text === 'off') return null;
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`invalid value "${text}" for --metrics-addr: expected host:port like 127.0.0.1:9323, or off`);
  return { host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port };
}

/** Serves GET /metrics: Prometheus text, or OpenMetrics when the scraper asks for it. */
export async function serveMetrics(exporter: MetricsExporter, addr: { host: string; port: number }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    const openMetrics = /application\/openmetrics-text/.test(req.headers.accept ?? '');
    exporter.render(openMetrics).then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => resolve());
  });
  return server;
}
