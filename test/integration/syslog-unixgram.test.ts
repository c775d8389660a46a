import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { message } from '../../engine/logs/message';
import { syslog } from '../../drivers/syslog';
import { unixgramSupported } from '../../drivers/syslog/unixgram';
import { Rsyslog, rsyslogInstalled } from '../helpers/peers/rsyslog';

const skip = !rsyslogInstalled() ? 'rsyslogd is not installed' : !unixgramSupported() ? 'the native addon is not built' : false;
const ctx = { id: 'ab'.repeat(32), name: 'dg', logDir: os.tmpdir(), labels: {}, env: [], created: 0n, pid: () => 777 };

describe('syslog over a unix datagram socket (what /dev/log usually is)', { skip }, () => {
  let rs: Rsyslog;
  before(async () => { rs = await Rsyslog.start({ unixgram: true }); });
  after(async () => { await rs?.close(); });

  it('sends one datagram per line, in Docker\'s default format, to rsyslog\'s imuxsock', async () => {
    const driver = await syslog.create(syslog.parseOptions({ 'syslog-address': `unixgram://${rs.unixgramPath}` }), ctx);
    const t = BigInt(Date.now()) * 1_000_000n;
    const r = await driver.send([message('stdout', t, Buffer.from('first over dgram')), message('stderr', t, Buffer.from('second over dgram'))], new AbortController().signal);
    assert.equal(r.status, 'ok');
    const [first] = await rs.waitFor('the stdout line', (x) => x.msg.trim() === 'first over dgram');
    const [second] = await rs.waitFor('the stderr line', (x) => x.msg.trim() === 'second over dgram');
    assert.equal(first!.syslogseverity, '6');
    assert.equal(second!.syslogseverity, '3');
    assert.equal(first!.programname, 'abababababab', 'the short id');
    assert.equal(first!.procid, '777');
    await driver.close();
  });

  it('a socket nobody listens on is a retry, not a crash', async () => {
    const driver = await syslog.create(syslog.parseOptions({ 'syslog-address': `unixgram://${rs.unixgramPath}` }), ctx);
    await rs.down();
    const r = await driver.send([message('stdout', 1n, Buffer.from('lost?'))], new AbortController().signal);
    assert.equal(r.status, 'retry');
    await rs.up();
    const again = await driver.send([message('stdout', 1n, Buffer.from('after restart'))], new AbortController().signal);
    assert.equal(again.status, 'ok');
    await rs.waitFor('the line after the restart', (x) => x.msg.trim() === 'after restart');
    await driver.close();
  });
});
