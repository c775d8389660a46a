import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { logConfigsOf, planOutlets } from '../../agent/logplan';
import { OptionError } from '../../engine/logs/driver';
import { builtinDrivers } from '../../drivers';
import { parseJsonFileOptions } from '../../drivers/json-file/options';
import { LogFile } from '../../drivers/json-file/logfile';
import { budget, hostileText, onlyThrows } from './budget';

/** Every key some driver (or the agent's planner) knows: what a user would try, right or wrong. */
const KEYS: Record<string, string[]> = {
  shared: ['mode', 'max-buffer-size', 'drop-policy', 'cache-disabled', 'cache-max-size', 'cache-max-file', 'cache-compress', 'tag', 'labels', 'labels-regex', 'env', 'env-regex'],
  'json-file': ['max-size', 'max-file', 'compress'],
  syslog: ['syslog-address', 'syslog-facility', 'syslog-format', 'syslog-tls-skip-verify', 'syslog-tls-ca-cert', 'syslog-tls-cert', 'syslog-tls-key'],
  fluentd: ['fluentd-address', 'fluentd-async', 'fluentd-async-connect', 'fluentd-async-reconnect-interval', 'fluentd-buffer-limit', 'fluentd-retry-wait',
    'fluentd-max-retries', 'fluentd-sub-second-precision', 'fluentd-request-ack', 'fluentd-write-timeout', 'fluentd-read-timeout', 'fluentd-event-mode', 'fluentd-shared-key'],
  awslogs: ['awslogs-region', 'awslogs-endpoint', 'awslogs-group', 'awslogs-stream', 'awslogs-create-group', 'awslogs-create-stream', 'awslogs-datetime-format',
    'awslogs-multiline-pattern', 'awslogs-force-flush-interval-seconds', 'awslogs-max-buffered-events', 'awslogs-format'],
  mongodb: ['mongodb-uri', 'mongodb-database', 'mongodb-collection', 'mongodb-capped-size', 'mongodb-capped-max', 'mongodb-ttl'],
  journald: ['journald-require', 'journald-socket'],
  spool: ['spool-dir', 'spool-max-size'],
};
const DRIVERS = builtinDrivers.map((d) => d.name);
const ALL_KEYS = [...new Set([...Object.values(KEYS).flat(), ...DRIVERS.map((d) => `${d}-require-healthy`)])];

/** Values shaped like the real ones, and junk. */
const value = fc.oneof(
  hostileText('0123456789.-:/ kmgbtrueflsTFhnu{}[]()*?+\\^$|%@', 30),
  fc.constantFrom('', 'true', 'false', '1', '0', '-1', '10m', '1.5g', '3', '0.5', '1e9', '99999999999999999999', 'non-blocking', 'blocking', 'oldest',
    'tcp://127.0.0.1:1', 'udp://[::1]:514', 'unix:///nonexistent', 'tcp+tls://h', 'tls://:0', 'mongodb://127.0.0.1:1/db', 'mongodb://u:p@[::1', 'http://logs.eu-west-1.amazonaws.com',
    '{{.Name}}', '{{.Nope}}', '{{', '(?i)^x', '(', '%Y-%m-%d', '1d12h', '-5s', 'Message', 'json/emf', 'rfc5424', 'local7', '24'),
);

const key = fc.oneof(
  fc.constantFrom(...ALL_KEYS),
  fc.tuple(fc.constantFrom(...DRIVERS, 'nope'), fc.constantFrom(...ALL_KEYS)).map(([d, k]) => `${d}:${k}`),
  fc.string({ maxLength: 12 }),
);

/** A refusal says which key, driver or value it is about. */
function namesWhat(opts: Record<string, string>, drivers: readonly string[]) {
  const words = [...Object.keys(opts), ...Object.keys(opts).map((k) => k.slice(k.indexOf(':') + 1)), ...ALL_KEYS, ...drivers, 'log driver'];
  return (e: Error) => {
    assert.ok(e.message.length > 0 && e.message.length < 2000, e.message);
    assert.ok(words.some((w) => w && e.message.includes(w)), `names no key: ${e.message}`);
  };
}

describe('fuzz: --log-driver / --log-opt', () => {
  it('logConfigsOf + planOutlets: a plan, or an OptionError naming the key', () => {
    const drivers = fc.uniqueArray(fc.oneof(fc.constantFrom(...DRIVERS), fc.string({ maxLength: 8 })), { maxLength: 3 });
    fc.assert(fc.property(drivers, fc.dictionary(key, value, { maxKeys: 5 }), (ds, opts) => {
      const plan = onlyThrows(() => planOutlets(logConfigsOf(ds, opts)), [OptionError], namesWhat(opts, ds));
      if (Array.isArray(plan)) assert.ok(plan.length >= 1);
    }), budget(8000));
  });

  for (const def of builtinDrivers) {
    it(`${def.name}: parseOptions on its own keys with junk values`, () => {
      const own = fc.constantFrom(...(KEYS[def.name] ?? ['x']), ...KEYS.shared!.slice(7));
      fc.assert(fc.property(fc.dictionary(own, value, { maxKeys: 4 }), (opts) => {
        onlyThrows(() => def.parseOptions(opts), [OptionError], namesWhat(opts, [def.name]));
      }), budget(def.name === 'mongodb' ? 1200 : 3200));
    });
  }

  it('json-file: a huge max-file never makes rotation hang: only the files there are move', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-maxfile-'));
    try {
      for (const maxFile of ['1000000000', '99999999999999999999']) {
        const base = path.join(dir, `${maxFile}-json.log`);
        const lf = new LogFile(base, parseJsonFileOptions({ 'max-size': '1k', 'max-file': maxFile }));
        // Before: a billion renames per rotation, or (past 2^53, where i-- is i) a loop that never ends.
        for (let i = 0; i < 3; i++) { lf.append(Buffer.from(`{"log":"${i}\\n","stream":"stdout","time":"2024-05-01T10:00:00Z"}\n`), 1, '2024-05-01T10:00:00Z'); lf.rotate(); }
        await lf.close();
        assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith(`${maxFile}-`)).sort(), ['', '.1', '.2', '.3'].map((s) => `${maxFile}-json.log${s}`));
        assert.match(fs.readFileSync(`${base}.3`, 'utf8'), /"log":"0\\n"/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
