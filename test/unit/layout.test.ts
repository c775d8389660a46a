import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const RANK: Record<string, number> = { engine: 0, drivers: 1, agent: 2 };

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('layout', () => {
  it('imports point one way: agent -> drivers -> engine', () => {
    const wrong: string[] = [];
    for (const top of Object.keys(RANK)) {
      for (const file of sources(path.join(ROOT, top))) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
          const target = path.relative(ROOT, path.resolve(path.dirname(file), m[1]!)).split(path.sep)[0]!;
          if (target in RANK && RANK[target]! > RANK[top]!) wrong.push(`${path.relative(ROOT, file)} -> ${m[1]}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('only agent/view/blessed.ts may import blessed', () => {
    const offenders = ['engine', 'drivers', 'agent'].flatMap((t) => sources(path.join(ROOT, t)))
      .filter((f) => /from 'blessed'/.test(fs.readFileSync(f, 'utf8')) && !f.endsWith(path.join('agent', 'view', 'blessed.ts')));
    assert.deepEqual(offenders, []);
  });
});
