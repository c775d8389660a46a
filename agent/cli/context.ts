import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiClient } from '../api/client';
import { ApiError } from '../errors';

/** This checkout's CLI, for the agents it starts and the units it writes. */
export const CORRAL_BIN = path.join(__dirname, '..', '..', '..', 'bin', 'corral');

/** What every command needs: where the agent lives and a client that reaches it. */
export class CliContext {
  constructor(readonly dataRoot: string) {}

  get socketPath(): string {
    return path.join(this.dataRoot, 'corral.sock');
  }

  /** A client to a running agent; starts one in the background when none answers (unless CORRAL_NO_AUTOSTART=1). */
  async client(): Promise<ApiClient> {
    const c = new ApiClient(this.socketPath);
    if (await answers(c)) return c;
    if (process.env['CORRAL_NO_AUTOSTART'] === '1') {
      throw new ApiError(503, `cannot connect to the corral agent at ${this.socketPath}: is it running? (start it with: corral agent)`);
    }
    this.startAgent();
    for (let i = 0; i < 500; i++) {
      if (await answers(c)) return c;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new ApiError(503, `the corral agent did not come up within 10s; see ${path.join(this.dataRoot, 'agent.log')}`);
  }

  private startAgent(): void {
    fs.mkdirSync(this.dataRoot, { recursive: true, mode: 0o711 });
    const logFd = fs.openSync(path.join(this.dataRoot, 'agent.log'), 'a', 0o640);
    const child = spawn(process.execPath, [CORRAL_BIN, '--data-root', this.dataRoot, 'agent'], {
      detached: true, stdio: ['ignore', logFd, logFd], env: process.env,
    });
    child.unref();
    fs.closeSync(logFd);
  }
}

async function answers(c: ApiClient): Promise<boolean> {
  try {
    await c.json('GET', '/_ping');
    return true;
  } catch (e) {
    // The kernel refused us (socket mode 0660, not in its group): say so rather than start another agent.
    if ((e as NodeJS.ErrnoException).code === 'EACCES') {
      throw new ApiError(403, `permission denied while trying to connect to the corral agent socket at ${c.socketPath} (it is for root and the socket's group, corral by default)`);
    }
    return false;
  }
}
