import * as http from 'node:http';
import { ApiError } from '../errors';

/** Talks to the agent over its unix socket. */
export class ApiClient {
  constructor(readonly socketPath: string) {}

  /** Sends a request; resolves with the parsed JSON answer, throws ApiError on an error status. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await readAll(res);
    const value = text ? JSON.parse(text) : {};
    if ((res.statusCode ?? 500) >= 400) throw new ApiError(res.statusCode ?? 500, value.message ?? text, value.exitCode ?? 125);
    return value as T;
  }

  /** Opens a streaming request; throws ApiError when the agent answers with an error status. */
  async stream(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const res = await this.request(method, path, body, signal);
    if ((res.statusCode ?? 500) >= 400) {
      const text = await readAll(res);
      let value: { message?: string; exitCode?: number } = {};
      try { value = JSON.parse(text); } catch { /* plain text */ }
      throw new ApiError(res.statusCode ?? 500, value.message ?? text, value.exitCode ?? 125);
    }
    return res;
  }

  request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request({
        socketPath: this.socketPath, method, path, signal,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      }, resolve);
      req.once('error', reject);
      req.end(payload);
    });
  }
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of res) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
