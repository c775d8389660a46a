import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { METRIC_NAMES } from '../../agent/metrics/names';

const DIR = path.join(__dirname, '..', '..', '..', 'dashboards', 'prometheus');
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

/** Every `expr:` of a rules file (one line each in ours). */
function expressions(file: string): string[] {
  return [...fs.readFileSync(path.join(DIR, file), 'utf8').matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1]!);
}

describe('alert and recording rules', () => {
  it('reference only metrics corral exports (names.ts) or recording rules defined here', () => {
    const recorded = new Set([...fs.readFileSync(path.join(DIR, 'rules.yml'), 'utf8').matchAll(/record:\s*(\S+)/g)].map((m) => m[1]!));
    const unknown: string[] = [];
    for (const expr of [...expressions('rules.yml'), ...expressions('alerts.yml')]) {
      for (const [name] of expr.matchAll(/\b(?:container|corral)_[a-z_]+|\b[a-z_]+:[a-z_:0-9]+/g)) {
        if (!METRIC_NAMES.includes(name) && !recorded.has(name)) unknown.push(name);
      }
    }
    assert.deepEqual(unknown, []);
  });

  it('pass promtool check rules and the promtool unit tests', { skip: hasPromtool ? false : 'promtool missing: apt-get install prometheus' }, () => {
    const check = spawnSync('promtool', ['check', 'rules', 'rules.yml', 'alerts.yml'], { cwd: DIR, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const test = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    assert.match(test.stdout, /SUCCESS/);
  });
});
