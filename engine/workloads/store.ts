import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordProblem } from './record';
import { WorkloadSpec, WorkloadState } from './spec';

export interface StoredWorkload {
  spec: WorkloadSpec;
  state: WorkloadState;
}

const FILE = 'config.json';
const TMP = `.${FILE}.tmp`;

/**
 * Keeps each workload's spec and state in `<root>/containers/<id>/config.json`, written
 * atomically: a temp file, fsync'd, renamed over the old one, then the folder fsync'd, so a
 * crash or power cut leaves either the old record or the new one, never half of one.
 */
export class WorkloadStore {
  constructor(readonly containersDir: string) {
    fs.mkdirSync(containersDir, { recursive: true, mode: 0o710 });
  }

  dirOf(id: string): string {
    return path.join(this.containersDir, id);
  }

  save(w: StoredWorkload): void {
    const dir = this.dirOf(w.spec.id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o710 });
    const tmp = path.join(dir, TMP);
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, JSON.stringify(w, null, 1));
      fs.fsyncSync(fd); // the bytes are on disk before the rename makes them the record
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(dir, FILE));
    syncDir(dir); // and the rename itself
  }

  /**
   * Every stored workload. Whatever is not one (a truncated, empty or malformed config.json, a
   * folder whose save never finished, a stray file) is reported through onError and skipped,
   * never fatal; it is left on disk as it is for the operator to look at.
   */
  loadAll(onError: (id: string, e: Error) => void): StoredWorkload[] {
    const out: StoredWorkload[] = [];
    for (const id of fs.readdirSync(this.containersDir)) {
      const dir = path.join(this.containersDir, id);
      try {
        out.push(this.load(id, dir));
      } catch (e) {
        onError(id, e as Error);
      }
    }
    return out;
  }

  private load(id: string, dir: string): StoredWorkload {
    if (!fs.statSync(dir).isDirectory()) throw new Error('not a workload folder (a file)');
    const file = path.join(dir, FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const cut = fs.existsSync(path.join(dir, TMP)) ? ` (${TMP} is there: its first save never finished)` : '';
      throw new Error(`no ${FILE}${cut}`);
    }
    if (!text.trim()) throw new Error(`${FILE} is empty`);
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new Error(`${FILE} is not valid JSON (cut short?): ${(e as Error).message}`);
    }
    const problem = recordProblem(v, id);
    if (problem) throw new Error(`${FILE}: ${problem}`);
    return v as StoredWorkload;
  }

  remove(id: string): void {
    fs.rmSync(this.dirOf(id), { recursive: true, force: true });
  }
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
