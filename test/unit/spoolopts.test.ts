import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { logConfigsOf, planOutlets } from '../../agent/logplan';
import { spoolDirOf } from '../../engine/logs/spoolopts';

const plan = (drivers: string[], opts: Record<string, string>) => planOutlets(logConfigsOf(drivers, opts));
const FLUENTD = { 'fluentd-address': '127.0.0.1:24224' };

describe('spool-dir / spool-max-size', () => {
  it('gives a remote driver its spool (1g by default, decimal units as max-size); the cache gets none', () => {
    const [fl, cache] = plan(['fluentd'], { ...FLUENTD, 'spool-dir': '/var/spool/corral/' });
    assert.deepEqual(fl!.spool, { dir: '/var/spool/corral', maxBytes: 1_000_000_000 });
    assert.equal(cache!.name, 'cache');
    assert.equal(cache!.spool, undefined);
    assert.deepEqual(plan(['syslog'], { 'spool-dir': 'default', 'spool-max-size': '500m' })[0]!.spool, { dir: 'default', maxBytes: 500_000_000 });
    assert.equal(plan(['fluentd'], FLUENTD)[0]!.spool, undefined, 'no spool unless asked');
  });

  it('puts each workload and driver in its own folder; default is <data-root>/spool', () => {
    assert.equal(spoolDirOf({ dir: '/s', maxBytes: 1 }, '/var/lib/corral/spool', 'abc', 'fluentd'), '/s/abc/fluentd');
    assert.equal(spoolDirOf({ dir: 'default', maxBytes: 1 }, '/var/lib/corral/spool', 'abc', 'syslog'), '/var/lib/corral/spool/abc/syslog');
  });

  it('refuses it for local drivers and bad values, naming the key and the accepted form', () => {
    assert.throws(() => plan(['json-file'], { 'spool-dir': '/s' }), /log opt spool-dir is only supported by remote log drivers .* not json-file/);
    assert.throws(() => plan(['none'], { 'spool-max-size': '1g' }), /log opt spool-max-size is only supported by remote log drivers .* not none/);
    assert.throws(() => plan(['fluentd'], { ...FLUENTD, 'spool-dir': 'spool' }), /invalid value "spool" for log opt spool-dir: expected an absolute path, or default/);
    assert.throws(() => plan(['fluentd'], { ...FLUENTD, 'spool-dir': '' }), /log opt spool-dir: expected an absolute path/);
    assert.throws(() => plan(['fluentd'], { ...FLUENTD, 'spool-max-size': '1g' }), /spool-max-size needs spool-dir/);
    assert.throws(() => plan(['fluentd'], { ...FLUENTD, 'spool-dir': '/s', 'spool-max-size': 'big' }), /invalid value "big" for log opt spool-max-size: expected a size of at least 64k/);
    assert.throws(() => plan(['fluentd'], { ...FLUENTD, 'spool-dir': '/s', 'spool-max-size': '10k' }), /spool-max-size: expected a size of at least 64k/);
  });

  it('journald takes a spool too (a daemon that can stop under a workload); its outlet then drains after the run, as a remote one', () => {
    const [j] = plan(['journald'], { 'spool-dir': 'default', 'spool-max-size': '100m' });
    assert.deepEqual(j!.spool, { dir: 'default', maxBytes: 100_000_000 });
    assert.equal(j!.remote, true, 'a run\'s end never waits on a dead journald');
    assert.equal(spoolDirOf(j!.spool!, '/var/lib/corral/spool', 'abc', j!.name), '/var/lib/corral/spool/abc/journald');
    const [plain] = plan(['journald'], {});
    assert.equal(plain!.spool, undefined);
    assert.equal(plain!.remote, false, 'without a spool a run waits for its journal entries, as before');
    assert.deepEqual(plan(['json-file', 'journald'], { 'journald:spool-dir': '/s' }).map((x) => [x.name, x.spool?.dir]), [['json-file', undefined], ['journald', '/s']]);
  });

  it('with several drivers, is scoped to one of them', () => {
    const p = plan(['json-file', 'fluentd'], { 'fluentd:fluentd-address': '127.0.0.1:1', 'fluentd:spool-dir': '/s' });
    assert.deepEqual(p.map((x) => [x.name, x.spool?.dir]), [['json-file', undefined], ['fluentd', '/s']]);
    assert.throws(() => logConfigsOf(['json-file', 'fluentd'], { 'spool-dir': '/s' }), /log opt 'spool-dir' is ambiguous/);
  });
});
