import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkloadSpec, WorkloadState } from './spec';

export interface StoredWorkload {
  spec: WorkloadSpec;
  state: WorkloadState;
}

const FILE = 'config.json';
const ID = /^[0-9a-f]{64}$/;

/**
 * Keeps each workload's spec and state in `<root>/containers/<id>/config.json`, written
 * atomically (temp file + rename) so a crash never leaves half a record behind.
 */
export class WorkloadStore {
  constructor(readonly containersDir: string) {
    fs.mkdirSync(containersDir, { recursive: true, mode: 0o710 });
  }

  dirOf(id: string): string {
    // Only a 64-hex id (newId) names a folder, so no record can point outside containersDir.
    if (!ID.test(id)) throw new Error(`invalid workload id ${JSON.stringify(id)}: expected 64 hex characters`);
    return path.join(this.containersDir, id);
  }

  save(w: StoredWorkload): void {
    const dir = this.dirOf(w.spec.id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o710 });
    const tmp = path.join(dir, `.${FILE}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(w, null, 1), { mode: 0o600 });
    fs.renameSync(tmp, path.join(dir, FILE));
  }

  /** Every stored workload; unreadable records are reported and skipped, never fatal. */
  loadAll(onError: (id: string, e: Error) => void): StoredWorkload[] {
    const out: StoredWorkload[] = [];
    for (const id of fs.readdirSync(this.containersDir)) {
      const file = path.join(this.containersDir, id, FILE);
      if (!fs.existsSync(file)) continue;
      try {
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as StoredWorkload;
        if (rec.spec?.id !== id || !ID.test(id)) throw new Error(`its id ${JSON.stringify(rec.spec?.id)} is not its folder's name`);
        out.push(rec);
      } catch (e) {
        onError(id, e as Error);
      }
    }
    return out;
  }

  remove(id: string): void {
    fs.rmSync(this.dirOf(id), { recursive: true, force: true });
  }
}
