import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keepsLocalLog, logConfigsOf, planOutlets } from '../../agent/logplan';

describe('log configs and outlets of a workload', () => {
  it('gives every option to the only driver; json-file by default', () => {
    assert.deepEqual(logConfigsOf([], { 'max-size': '1m' }), [{ type: 'json-file', config: { 'max-size': '1m' } }]);
    const plan = planOutlets(logConfigsOf(['json-file'], { 'max-size': '1m', mode: 'non-blocking', 'drop-policy': 'oldest' }));
    assert.deepEqual(plan.map((p) => p.name), ['json-file'], 'json-file reads back: no cache');
    assert.deepEqual(plan[0]!.delivery, { mode: 'non-blocking', maxBufferBytes: 1_000_000, dropPolicy: 'oldest' });
  });

  it('with several drivers, scopes options as driver:key and shares the generic ones', () => {
    const configs = logConfigsOf(['json-file'], { 'json-file:max-size': '1m', mode: 'non-blocking' });
    assert.deepEqual(configs, [{ type: 'json-file', config: { 'max-size': '1m', mode: 'non-blocking' } }]);
    assert.throws(() => logConfigsOf(['json-file', 'json-file'], {}), /log driver 'json-file' is given twice/);
    assert.throws(() => logConfigsOf(['json-file', 'none'], {}), /'none' cannot be combined/);
    assert.throws(() => logConfigsOf(['json-file'], { 'fluentd:tag': 'x' }), /log opt 'fluentd:tag' is for log driver 'fluentd', which is not one of --log-driver \(json-file\)/);
  });

  it('refuses what is wrong, naming the key', () => {
    assert.throws(() => planOutlets(logConfigsOf(['nope'], {})), /no log driver named 'nope'/);
    assert.throws(() => planOutlets(logConfigsOf(['json-file'], { 'max-sise': '1m' })), /unknown log opt 'max-sise' for json-file log driver/);
    assert.throws(() => planOutlets(logConfigsOf(['json-file'], { 'json-file-require-healthy': 'maybe' })), /json-file-require-healthy: expected true or false/);
    assert.throws(() => planOutlets(logConfigsOf(['json-file'], { 'drop-policy': 'oldest' })), /only supported with 'mode=non-blocking'/);
  });

  it('accepts the cache options with any driver, as Docker', () => {
    assert.deepEqual(planOutlets(logConfigsOf(['json-file'], { 'cache-disabled': 'true', 'cache-max-size': '5m' })).map((p) => p.name), ['json-file']);
    assert.deepEqual(planOutlets(logConfigsOf(['none'], {})).map((p) => p.name), ['none'], 'none means no logs: no cache');
  });

  it('says from the configs alone whether a run keeps a local json-file log', () => {
    assert.equal(keepsLocalLog(logConfigsOf([], {})), true);
    assert.equal(keepsLocalLog(logConfigsOf(['none'], {})), false);
    assert.equal(keepsLocalLog(logConfigsOf(['syslog'], {})), true, 'the cache');
    assert.equal(keepsLocalLog(logConfigsOf(['syslog'], { 'cache-disabled': 'true' })), false);
    assert.equal(keepsLocalLog(logConfigsOf(['json-file', 'syslog'], { 'cache-disabled': 'true' })), true);
    assert.equal(keepsLocalLog([{ type: 'gone-driver', config: {} }]), false, 'a stored config this agent cannot run writes nothing');
  });
});
