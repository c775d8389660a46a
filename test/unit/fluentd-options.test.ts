import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { OptionError } from '../../engine/logs/driver';
import { message } from '../../engine/logs/message';
import { parseFluentdOptions } from '../../drivers/fluentd/options';
import { RecordBuilder } from '../../drivers/fluentd/record';

describe('fluentd options', () => {
  test('Docker\'s defaults, plus PackedForward and no shared key', () => {
    assert.deepEqual(parseFluentdOptions({}), {
      address: { scheme: 'tcp', host: '127.0.0.1', port: 24224 },
      async: false, reconnectIntervalMs: null, bufferLimit: 1_048_576, retryWaitMs: 1000, maxRetries: null,
      subSecondPrecision: false, requestAck: false, writeTimeoutMs: null, readTimeoutMs: null,
      eventMode: 'PackedForward', sharedKey: null, attrs: {},
    });
  });

  test('every fluentd-address form Docker takes', () => {
    const a = (text: string) => parseFluentdOptions({ 'fluentd-address': text }).address;
    assert.deepEqual(a('fluent.example:24225'), { scheme: 'tcp', host: 'fluent.example', port: 24225 });
    assert.deepEqual(a('tcp://10.0.0.1:5170'), { scheme: 'tcp', host: '10.0.0.1', port: 5170 });
    assert.deepEqual(a('tls://fluent.example'), { scheme: 'tls', host: 'fluent.example', port: 24224 });
    assert.deepEqual(a('tcp://[::1]:24230'), { scheme: 'tcp', host: '::1', port: 24230 });
    assert.deepEqual(a('unix:///var/run/fluent.sock'), { scheme: 'unix', path: '/var/run/fluent.sock' });
  });

  test('values as Docker parses them', () => {
    const o = parseFluentdOptions({
      'fluentd-async': 'true', 'fluentd-async-reconnect-interval': '1.5s', 'fluentd-buffer-limit': '8k',
      'fluentd-retry-wait': '250ms', 'fluentd-max-retries': '7', 'fluentd-sub-second-precision': '1',
      'fluentd-request-ack': 'True', 'fluentd-write-timeout': '2s', 'fluentd-read-timeout': '1m',
      'fluentd-event-mode': 'compressedpackedforward', 'fluentd-shared-key': 'k', tag: '{{.Name}}', labels: 'a,b', 'env-regex': '^X',
    });
    assert.deepEqual(o, {
      address: { scheme: 'tcp', host: '127.0.0.1', port: 24224 },
      async: true, reconnectIntervalMs: 1500, bufferLimit: 8192, retryWaitMs: 250, maxRetries: 7,
      subSecondPrecision: true, requestAck: true, writeTimeoutMs: 2000, readTimeoutMs: 60_000,
      eventMode: 'CompressedPackedForward', sharedKey: 'k', attrs: { labels: 'a,b', 'env-regex': '^X', tag: '{{.Name}}' },
    });
    assert.equal(parseFluentdOptions({ 'fluentd-async-connect': 'true' }).async, true, 'the deprecated alias');
    assert.equal(parseFluentdOptions({ 'fluentd-write-timeout': '0' }).writeTimeoutMs, null, '0 means no timeout, as Docker');
  });

  test('bad values are refused naming the key and the accepted form', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ 'fluentd-adress': 'x' }, /^unknown log opt 'fluentd-adress' for fluentd log driver$/],
      [{ 'max-size': '10m' }, /unknown log opt 'max-size' for fluentd log driver/],
      [{ 'fluentd-address': 'udp://h:1' }, /fluentd-address: unsupported scheme: 'udp' \(expected host:port, tcp:\/\/host:port, tls:\/\/host:port or unix:\/\/\/path\)/],
      [{ 'fluentd-address': 'unix://' }, /fluentd-address: path is empty/],
      [{ 'fluentd-address': 'tcp://h:1/x' }, /fluentd-address: should not contain a path element/],
      [{ 'fluentd-address': 'h:99999' }, /invalid value "h:99999" for log opt fluentd-address/],
      [{ 'fluentd-async': 'yes' }, /invalid value "yes" for log opt fluentd-async: expected true or false/],
      [{ 'fluentd-retry-wait': '1' }, /fluentd-retry-wait: expected a Go duration like 500ms/],
      [{ 'fluentd-write-timeout': '-1s' }, /fluentd-write-timeout: expected a Go duration/],
      [{ 'fluentd-max-retries': '-1' }, /fluentd-max-retries: expected a whole number >= 0/],
      [{ 'fluentd-buffer-limit': 'lots' }, /fluentd-buffer-limit: expected a positive number/],
      [{ 'fluentd-async-reconnect-interval': '50ms' }, /fluentd-async-reconnect-interval: expected a duration between 100ms and 10s/],
      [{ 'fluentd-event-mode': 'Forward' }, /fluentd-event-mode: expected Message, PackedForward, CompressedPackedForward/],
      [{ 'fluentd-address': 'unix:///f.sock', 'fluentd-shared-key': 'k' }, /fluentd-shared-key needs a tcp:\/\/ or tls:\/\/ fluentd-address/],
      [{ tag: '{{.Nope}}' }, /log opt tag: unknown field \.Nope/],
      [{ 'labels-regex': '(' }, /log opt labels-regex: not a valid regular expression/],
    ];
    for (const [opts, re] of bad) assert.throws(() => parseFluentdOptions(opts), (e: Error) => e instanceof OptionError && re.test(e.message), JSON.stringify(opts));
  });
});

describe('fluentd records', () => {
  const ctx = { id: 'a'.repeat(64), name: 'web' };
  test('extra attributes join Docker\'s fields (and win over them, as in Docker\'s map); partial fields are strings', () => {
    const b = new RecordBuilder(ctx, { team: 'core', source: 'label' }, false);
    assert.deepEqual(b.record(message('stderr', 1n, Buffer.from('x'), { id: 'p', ordinal: 12, last: false })), {
      container_id: 'a'.repeat(64), container_name: '/web', source: 'label', log: 'x', team: 'core',
      partial_message: 'true', partial_id: 'p', partial_ordinal: '12', partial_last: 'false',
    });
  });

  test('the time is the line\'s own: whole seconds, or EventTime with nanoseconds', () => {
    const m = message('stdout', 1_700_000_000_999_999_999n, Buffer.from('x'));
    assert.equal(new RecordBuilder(ctx, {}, false).time(m), 1_700_000_000);
    assert.deepEqual({ ...(new RecordBuilder(ctx, {}, true).time(m) as object) }, { epoch: 1_700_000_000, nano: 999_999_999 });
    // fluent-logger reads a 0 time as "now" and then drops the callback: the epoch itself goes as an EventTime
    assert.deepEqual({ ...(new RecordBuilder(ctx, {}, false).time(message('stdout', 5n, Buffer.from('x'))) as object) }, { epoch: 0, nano: 5 });
  });
});
