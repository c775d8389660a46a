import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkName, parseRestartPolicy } from '../../engine/workloads/spec';
import { FIRST_DELAY_MS, MAX_DELAY_MS, nextDelay, shouldRestart } from '../../engine/workloads/restart';
import { fromHumanSize, ramInBytes } from '../../engine/units';
import { parseJsonFileOptions } from '../../drivers/json-file/options';
import { splitDeliveryMode } from '../../engine/logs/mode';

describe('workload spec checks', () => {
  it('names follow Docker\'s rule', () => {
    for (const ok of ['web', 'a1', 'my_app.v2-x']) checkName(ok);
    for (const bad of ['a', '-x', '_x', 'has space', 'ü1', '']) assert.throws(() => checkName(bad), /only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
  });

  it('restart policies', () => {
    assert.deepEqual(parseRestartPolicy('no'), { name: 'no', maximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('on-failure:5'), { name: 'on-failure', maximumRetryCount: 5 });
    assert.deepEqual(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped', maximumRetryCount: 0 });
    assert.throws(() => parseRestartPolicy('always:3'), /only be used with 'on-failure'/);
    assert.throws(() => parseRestartPolicy('on-failure:-1'), /must be an integer/);
    assert.throws(() => parseRestartPolicy('maybe'), /unknown policy "maybe"/);
  });

  it('restart decisions and Docker\'s back-off', () => {
    const p = (name: 'no' | 'always' | 'on-failure' | 'unless-stopped', max = 0) => ({ name, maximumRetryCount: max });
    assert.equal(shouldRestart(p('no'), { exitCode: 1, stoppedByUser: false, restartCount: 0 }), false);
    assert.equal(shouldRestart(p('always'), { exitCode: 0, stoppedByUser: false, restartCount: 9 }), true);
    assert.equal(shouldRestart(p('always'), { exitCode: 0, stoppedByUser: true, restartCount: 0 }), false);
    assert.equal(shouldRestart(p('on-failure'), { exitCode: 0, stoppedByUser: false, restartCount: 0 }), false);
    assert.equal(shouldRestart(p('on-failure', 2), { exitCode: 1, stoppedByUser: false, restartCount: 1 }), true);
    assert.equal(shouldRestart(p('on-failure', 2), { exitCode: 1, stoppedByUser: false, restartCount: 2 }), false);
    let d = nextDelay(0, 0);
    assert.equal(d, FIRST_DELAY_MS);
    const seen = [d];
    for (let i = 0; i < 12; i++) seen.push((d = nextDelay(d, 50)));
    assert.deepEqual(seen.slice(0, 4), [100, 200, 400, 800]);
    assert.equal(seen.at(-1), MAX_DELAY_MS);
    assert.equal(nextDelay(MAX_DELAY_MS, 10_000), FIRST_DELAY_MS); // ran long enough: reset
  });
});

describe('units and log options', () => {
  it('decimal sizes for max-size, binary for buffers', () => {
    assert.equal(fromHumanSize('10m'), 10_000_000);
    assert.equal(fromHumanSize('1.5k'), 1500);
    assert.equal(fromHumanSize('2GB'), 2_000_000_000);
    assert.equal(ramInBytes('1m'), 1_048_576);
    assert.equal(ramInBytes('64KiB'), 65_536);
    assert.equal(fromHumanSize('ten'), undefined);
  });

  it('json-file options with Docker\'s defaults and messages', () => {
    assert.deepEqual(parseJsonFileOptions({}), { maxSize: null, maxFiles: 1, compress: false, attrs: {} });
    assert.deepEqual(parseJsonFileOptions({ 'max-size': '10m', 'max-file': '3', compress: 'true', tag: '{{.Name}}' }),
      { maxSize: 10_000_000, maxFiles: 3, compress: true, attrs: { tag: '{{.Name}}' } });
    assert.equal(parseJsonFileOptions({ 'max-size': '-1' }).maxSize, null);
    assert.throws(() => parseJsonFileOptions({ 'max-size': '0' }), /max-size/);
    assert.throws(() => parseJsonFileOptions({ 'max-file': '0' }), /max-file cannot be less than 1/);
    assert.throws(() => parseJsonFileOptions({ 'max-file': 'x' }), /invalid value "x" for log opt max-file/);
    assert.throws(() => parseJsonFileOptions({ compress: 'true', 'max-size': '1m' }), /compress cannot be true when max-file is less than 2/);
    assert.throws(() => parseJsonFileOptions({ compress: 'maybe' }), /log opt compress: expected true or false/);
    assert.throws(() => parseJsonFileOptions({ 'labels-regex': '(' }), /labels-regex: not a valid regular expression/);
    assert.throws(() => parseJsonFileOptions({ foo: '1' }), /^OptionError: unknown log opt 'foo' for json-file log driver$/);
  });

  it('mode, max-buffer-size and drop-policy', () => {
    assert.deepEqual(splitDeliveryMode({ mode: 'non-blocking', 'max-buffer-size': '4m', 'max-size': '1m' }),
      { delivery: { mode: 'non-blocking', maxBufferBytes: 4 * 1_048_576, dropPolicy: 'newest' }, rest: { 'max-size': '1m' } });
    assert.equal(splitDeliveryMode({ mode: 'non-blocking', 'drop-policy': 'oldest' }).delivery.dropPolicy, 'oldest');
    assert.throws(() => splitDeliveryMode({ 'drop-policy': 'oldest' }), /drop-policy option is only supported with 'mode=non-blocking'/);
    assert.throws(() => splitDeliveryMode({ mode: 'non-blocking', 'drop-policy': 'middle' }), /drop-policy: expected newest or oldest/);
    assert.equal(splitDeliveryMode({ mode: 'non-blocking' }).delivery.maxBufferBytes, 1_000_000);
    assert.throws(() => splitDeliveryMode({ 'max-buffer-size': '1m' }), /only supported with 'mode=non-blocking'/);
    assert.throws(() => splitDeliveryMode({ mode: 'sometimes' }), /mode/);
    assert.throws(() => splitDeliveryMode({ mode: 'non-blocking', 'max-buffer-size': 'lots' }), /max-buffer-size/);
  });
});
