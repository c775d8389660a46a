import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { message } from '../../engine/logs/message';
import { EntryEncoder } from '../../drivers/journald/entry';
import { sanitizeKey } from '../../drivers/journald/fields';
import { atTime } from '../../drivers/journald/journalctl';
import { decodeEntry } from '../../drivers/journald/decode';

/** The native protocol's bytes, field by field (no journald needed: the journald tests check what it makes of them). */
describe('journald native protocol encoding', () => {
  const id = 'ab'.repeat(32);
  const enc = () => new EntryEncoder({ id, name: 'web', tag: 'web/abababababab', attrs: { 'com.x': 'y', multi: 'a\nb' } }, 'e'.repeat(64));

  it('an entry: the workload\'s fields, then priority, the line\'s time, the ordinal and MESSAGE', () => {
    const bytes = enc().encode(message('stderr', 1_700_000_000_120_000_000n, Buffer.from('hello')));
    const multi = Buffer.concat([Buffer.from('MULTI\n'), Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('a\nb\n')]);
    const want = Buffer.concat([
      Buffer.from(`CONTAINER_ID=abababababab\nCONTAINER_ID_FULL=${id}\nCONTAINER_NAME=web\nCONTAINER_TAG=web/abababababab\nSYSLOG_IDENTIFIER=web/abababababab\nCONTAINER_LOG_EPOCH=${'e'.repeat(64)}\nCOM_X=y\n`),
      multi,
      Buffer.from('PRIORITY=3\nSYSLOG_TIMESTAMP=2023-11-14T22:13:20.12Z\nCONTAINER_LOG_ORDINAL=1\nMESSAGE=hello\n'),
    ]);
    assert.equal(bytes.toString('latin1'), want.toString('latin1'));
  });

  it('partials, a line with a newline (binary form), ordinals counting up, whole seconds without a fraction', () => {
    const e = enc();
    const fixed = e.encode(message('stdout', 0n, Buffer.alloc(0))).length - 'PRIORITY=6\nSYSLOG_TIMESTAMP=1970-01-01T00:00:00Z\nCONTAINER_LOG_ORDINAL=1\nMESSAGE=\n'.length;
    const a = e.encode(message('stdout', 2_000_000_000n, Buffer.from('x\ny'), { id: 'pid', ordinal: 1, last: false })).subarray(fixed);
    assert.equal(a.toString('latin1'), 'PRIORITY=6\nSYSLOG_TIMESTAMP=1970-01-01T00:00:02Z\nCONTAINER_PARTIAL_ID=pid\nCONTAINER_PARTIAL_ORDINAL=1\nCONTAINER_PARTIAL_LAST=false\nCONTAINER_PARTIAL_MESSAGE=true\nCONTAINER_LOG_ORDINAL=2\nMESSAGE\n\x03\0\0\0\0\0\0\0x\ny\n');
    const b = e.encode(message('stdout', 2_000_000_001n, Buffer.from('z'), { id: 'pid', ordinal: 2, last: true })).subarray(fixed);
    assert.equal(b.toString('latin1'), 'PRIORITY=6\nSYSLOG_TIMESTAMP=1970-01-01T00:00:02.000000001Z\nCONTAINER_PARTIAL_ID=pid\nCONTAINER_PARTIAL_ORDINAL=2\nCONTAINER_PARTIAL_LAST=true\nCONTAINER_LOG_ORDINAL=3\nMESSAGE=z\n');
    assert.equal(e.lastOrdinal, 3);
  });

  it('field names as the journal accepts them', () => {
    const cases: [string, string][] = [['com.example.team', 'COM_EXAMPLE_TEAM'], ['_x', 'X'], ['__a_b', 'A_B'], ['9lives', 'LIVES'], ['_9_x', 'X'],
      ['Ünïcode-key', 'N_CODE_KEY'], ['!!!', ''], ['k'.repeat(80), 'K'.repeat(64)]];
    for (const [k, v] of cases) assert.equal(sanitizeKey(k), v, k);
  });

  it('journalctl times: @seconds.micros, rounded down', () => {
    assert.equal(atTime(1_700_000_000_123_456_789n), '@1700000000.123456');
    assert.equal(atTime(0n), '@0.000000');
  });

  it('decoding journalctl JSON: text, byte arrays, repeated fields, stream from PRIORITY, attributes', () => {
    const m = decodeEntry({ MESSAGE: [104, 105, 0], PRIORITY: '3', SYSLOG_TIMESTAMP: '2024-05-01T10:00:00.5Z', TIER: ['web', 'x'], _PID: '1', __CURSOR: 'c', CONTAINER_ID: 'abc' })!;
    assert.equal(m.line.toString('latin1'), 'hi\0');
    assert.equal(m.stream, 'stderr');
    assert.equal(m.time, 1_714_557_600_500_000_000n);
    assert.deepEqual({ ...m.attrs }, { TIER: 'web' });
    const r = decodeEntry({ MESSAGE: 'x', __REALTIME_TIMESTAMP: '1714557600000001' })!;
    assert.equal(r.time, 1_714_557_600_000_001_000n, 'no SYSLOG_TIMESTAMP: when journald received it');
    assert.equal(r.stream, 'stdout');
    assert.equal(decodeEntry({ PRIORITY: '6' }), undefined);
  });
});
