process.env.TZ = 'Europe/Berlin'; // the agent's zone: timestamps are local, as Docker's

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LogMessage, message, messageIn } from '../../engine/logs/message';
import { EncoderSpec, SyslogEncoder } from '../../drivers/syslog/encode';

// docker-logging.md section 5's example: tag 3f2a1b4c5d6e, host h1, pid 1234, 2026-08-23 10:15:42 +02:00.
const T = BigInt(Date.UTC(2026, 7, 23, 8, 15, 42)) * 1_000_000n + 123_456_789n;
const spec = (format: EncoderSpec['format'], octetCounting = false): EncoderSpec => ({ format, facility: 3, tag: '3f2a1b4c5d6e', hostname: 'h1', octetCounting });
const encode = (s: EncoderSpec, batch: LogMessage[], pid = 1234) => {
  const { buf, ends } = new SyslogEncoder(s).encode(batch, pid);
  return { text: buf.toString('latin1'), ends };
};
const hello = [message('stdout', T, Buffer.from('hello'))];

describe('syslog encoder: Docker\'s wire formats', () => {
  it('matches the reference table byte for byte (timestamps are the line\'s own time)', () => {
    assert.equal(encode(spec(''), hello).text, '<30>Aug 23 10:15:42 3f2a1b4c5d6e[1234]: hello\n');
    assert.equal(encode(spec('rfc3164'), hello).text, '<30>Aug 23 10:15:42 h1 3f2a1b4c5d6e[1234]: hello\n');
    assert.equal(encode(spec('rfc5424'), hello).text, '<30>1 2026-08-23T10:15:42+02:00 h1 3f2a1b4c5d6e 1234 3f2a1b4c5d6e - hello\n');
    assert.equal(encode(spec('rfc5424micro'), hello).text, '<30>1 2026-08-23T10:15:42.123456+02:00 h1 3f2a1b4c5d6e 1234 3f2a1b4c5d6e - hello\n');
  });

  it('stderr is err (PRI 27 with daemon), the facility sets the rest', () => {
    assert.equal(encode(spec('rfc3164'), [message('stderr', T, Buffer.from('x'))]).text, '<27>Aug 23 10:15:42 h1 3f2a1b4c5d6e[1234]: x\n');
    assert.equal(encode({ ...spec('rfc5424'), facility: 23 }, [message('stderr', T, Buffer.from('x'))]).text.slice(0, 7), '<187>1 ');
  });

  it('day of month padded with a space (time.Stamp), winter offset, UTC as Z, micros truncated', () => {
    const jan3 = BigInt(Date.UTC(2026, 0, 3, 4, 5, 6)) * 1_000_000n + 999_999_999n;
    assert.equal(encode(spec(''), [message('stdout', jan3, Buffer.from('a'))]).text, '<30>Jan  3 05:05:06 3f2a1b4c5d6e[1234]: a\n');
    assert.equal(encode(spec('rfc5424micro'), [message('stdout', jan3, Buffer.from('a'))]).text.slice(0, 40), '<30>1 2026-01-03T05:05:06.999999+01:00 h');
    process.env.TZ = 'UTC';
    try {
      assert.equal(encode(spec('rfc5424'), hello).text.slice(0, 32), '<30>1 2026-08-23T08:15:42Z h1 3f');
    } finally {
      process.env.TZ = 'Europe/Berlin';
    }
  });

  it('octet counting: "<len> <msg>", len in bytes including the newline', () => {
    const msgs = [message('stdout', T, Buffer.from('héllo')), message('stderr', T, Buffer.from('b'))];
    const a = '<30>1 2026-08-23T10:15:42+02:00 h1 3f2a1b4c5d6e 1234 3f2a1b4c5d6e - héllo\n';
    const b = '<27>1 2026-08-23T10:15:42+02:00 h1 3f2a1b4c5d6e 1234 3f2a1b4c5d6e - b\n';
    const { buf } = new SyslogEncoder(spec('rfc5424', true)).encode(msgs, 1234);
    assert.equal(buf.toString('utf8'), `${Buffer.byteLength(a)} ${a}${Buffer.byteLength(b)} ${b}`);
  });

  it('skips empty lines (as Docker), keeps the bytes of each line as they are, marks each message\'s end', () => {
    const src = Buffer.from('xxABC\xffyy', 'latin1');
    const { text, ends } = encode(spec(''), [message('stdout', T, Buffer.alloc(0)), messageIn('stdout', T, src, 2, 6), message('stdout', T, Buffer.from('z'))]);
    assert.equal(text, '<30>Aug 23 10:15:42 3f2a1b4c5d6e[1234]: ABC\xff\n<30>Aug 23 10:15:42 3f2a1b4c5d6e[1234]: z\n');
    assert.deepEqual(ends, [45, 87]);
    assert.deepEqual(encode(spec(''), [message('stdout', T, Buffer.alloc(0))]).ends, []);
  });

  it('the pid is read per batch: a restarted workload gets its new pid', () => {
    const e = new SyslogEncoder(spec('rfc5424'));
    assert.match(e.encode(hello, 10).buf.toString(), / 10 3f2a1b4c5d6e - /);
    assert.match(e.encode(hello, 20).buf.toString(), / 20 3f2a1b4c5d6e - /);
  });
});
