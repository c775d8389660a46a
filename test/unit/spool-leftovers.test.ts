import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { message } from '../../engine/logs/message';
import { Spool } from '../../engine/logs/spool';
import { AgentSpools } from '../../agent/spools';

const id = (c: string) => c.repeat(64);
const owner = (wid: string) => ({ log: { type: 'fluentd', config: { 'fluentd-address': '127.0.0.1:1', 'spool-dir': 'default' } }, workload: { id: wid, name: 'w', labels: {}, env: [], created: '1' } });

/** A spool with one line in it, as an agent leaves it. */
function leave(dir: string, meta: unknown): void {
  const s = Spool.open({ dir, maxBytes: 1_000_000, meta });
  s.append([message('stdout', 1n, Buffer.from('left behind'))]);
  s.close();
}

describe('spools of removed workloads', () => {
  it('finds them under <data-root>/spool and every remembered spool-dir, with the owner each kept', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-spools-'));
    const custom = path.join(root, 'elsewhere');
    const a = new AgentSpools(root, () => {});
    a.remember(custom);
    a.remember(custom); // once in the list
    assert.equal(fs.readFileSync(path.join(root, 'spool-roots'), 'utf8'), `${custom}\n`);
    leave(path.join(root, 'spool', id('a'), 'fluentd'), owner(id('a')));
    leave(path.join(custom, id('b'), 'syslog'), owner(id('b')));
    leave(path.join(root, 'spool', id('c'), 'fluentd'), owner(id('c'))); // still a workload
    leave(path.join(root, 'spool', id('d'), 'fluentd'), owner(id('x'))); // meta.json of another id
    leave(path.join(root, 'spool', id('e'), 'fluentd'), owner(id('e')));
    fs.chmodSync(path.join(root, 'spool', id('e'), 'fluentd', 'meta.json'), 0o666); // anyone could have written it
    fs.mkdirSync(path.join(root, 'spool', id('f'), 'fluentd'), { recursive: true }); // empty: nothing to send

    const b = new AgentSpools(root, () => {}); // the next agent
    const found = b.leftovers(new Set([id('c')])).map((l) => [path.relative(root, l.dir), l.driver, l.owner?.workload.id ?? null]).sort();
    assert.deepEqual(found, [
      [`elsewhere/${id('b')}/syslog`, 'syslog', id('b')],
      [`spool/${id('a')}/fluentd`, 'fluentd', id('a')],
      [`spool/${id('d')}/fluentd`, 'fluentd', null],
      [`spool/${id('e')}/fluentd`, 'fluentd', null],
    ]);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
