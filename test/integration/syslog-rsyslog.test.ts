// The workload's zone in these tests: not UTC, so offsets show (set before any Date use).
process.env.TZ = 'Europe/Berlin';

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { DriverContext, LogDriver } from '../../engine/logs/driver';
import { LogMessage, message } from '../../engine/logs/message';
import { syslog } from '../../drivers/syslog';
import { TestCerts, makeTestCerts } from '../helpers/peers/certs';
import { Rsyslog, RsyslogRecord, gnutlsInstalled, rsyslogInstalled } from '../helpers/peers/rsyslog';

const ID = '3f2a1b4c5d6e'.padEnd(64, '7');
const ctx: DriverContext = { id: ID, name: 'web', logDir: os.tmpdir(), labels: {}, env: [], created: 0n, pid: () => 4321 };
const HOST = os.hostname();
// 2024-05-01T10:00:00.123456789Z: 12:00:00 in Berlin (summer time, +02:00).
const T = 1_714_557_600_123_456_789n;
const FORMATS = ['', 'rfc3164', 'rfc5424', 'rfc5424micro'] as const;

const skip = !rsyslogInstalled() ? 'rsyslogd is not installed (apt-get install rsyslog)'
  : !gnutlsInstalled() ? 'rsyslog-gnutls is not installed (apt-get install rsyslog-gnutls)' : false;

async function sendOnce(opts: Record<string, string>, batch: LogMessage[], c: DriverContext = ctx) {
  const driver: LogDriver = await syslog.create(syslog.parseOptions(opts), c);
  try {
    return await driver.send(batch, new AbortController().signal);
  } finally {
    await driver.close();
  }
}

/** What Docker puts on the wire for this format (without the newline rsyslog strips). */
function expectedRaw(format: string, pri: number, tag: string, text: string): string {
  if (format === '') return `<${pri}>May  1 12:00:00 ${tag}[4321]: ${text}`;
  if (format === 'rfc3164') return `<${pri}>May  1 12:00:00 ${HOST} ${tag}[4321]: ${text}`;
  const time = format === 'rfc5424' ? '2024-05-01T12:00:00+02:00' : '2024-05-01T12:00:00.123456+02:00';
  return `<${pri}>1 ${time} ${HOST} ${tag} 4321 ${tag} - ${text}`;
}

/** Every field rsyslog parsed, against Docker's format. */
function assertParsed(r: RsyslogRecord, format: string, facility: number, severity: number, tag: string, text: string): void {
  const pri = facility * 8 + severity;
  assert.equal(r.rawmsg, expectedRaw(format, pri, tag, text));
  assert.equal(r.pri, String(pri));
  assert.equal(r.syslogfacility, String(facility));
  assert.equal(r.syslogseverity, String(severity));
  assert.equal(r['app-name'], tag);
  assert.equal(r.programname, tag);
  assert.equal(r.procid, '4321');
  assert.equal(r['structured-data'], '-');
  if (format.startsWith('rfc5424')) {
    assert.equal(r['protocol-version'], '1');
    assert.equal(r.msg, text);
    assert.equal(r.msgid, tag);
    assert.equal(r.hostname, HOST);
    assert.equal(r.timereported, format === 'rfc5424' ? '2024-05-01T12:00:00+02:00' : '2024-05-01T12:00:00.123456+02:00');
  } else {
    assert.equal(r['protocol-version'], '0');
    assert.equal(r.msg, ` ${text}`); // rsyslog keeps the space after "TAG:" in 3164 messages
    assert.equal(r.msgid, '-');
    assert.equal(r.syslogtag, `${tag}[4321]:`);
    if (format === 'rfc3164') assert.equal(r.hostname, HOST);
    // 3164 has no year or zone: rsyslog guesses both, the day and time are ours.
    assert.match(r.timereported, /^\d{4}-05-01T12:00:00[+-]\d\d:\d\d$/);
  }
}

describe('syslog driver against rsyslog', { skip }, () => {
  let dir = '';
  let certs: TestCerts;
  let rs: Rsyslog;
  let mutual: Rsyslog;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-syslog-'));
    certs = makeTestCerts(path.join(dir, 'certs'));
    rs = await Rsyslog.start({ plain: true, unix: true, tls: { certs } });
    mutual = await Rsyslog.start({ tls: { certs, mutual: true } });
  });
  after(async () => {
    await rs?.close();
    await mutual?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const transports = () => ({
    udp: { 'syslog-address': `udp://127.0.0.1:${rs.port}` },
    tcp: { 'syslog-address': `tcp://127.0.0.1:${rs.port}` },
    'tcp+tls': { 'syslog-address': `tcp+tls://127.0.0.1:${rs.tlsPort}`, 'syslog-tls-ca-cert': certs.ca },
    unix: { 'syslog-address': `unix://${rs.unixPath}` },
  });
  const inputs: Record<string, string> = { udp: 'imudp', tcp: 'imtcp', 'tcp+tls': 'imtcp', unix: 'imptcp' };

  for (const transport of ['udp', 'tcp', 'tcp+tls', 'unix'] as const) {
    for (const format of FORMATS) {
      it(`${transport}, syslog-format=${format || '""'}: stdout at info, stderr at err, every header field as Docker writes it`, async () => {
        const id = `${transport}-${format || 'unix'}`;
        const batch = [message('stdout', T, Buffer.from(`out ${id}`)), message('stdout', T, Buffer.alloc(0)), message('stderr', T, Buffer.from(`err ${id}`))];
        const r = await sendOnce({ ...transports()[transport], 'syslog-format': format }, batch);
        assert.deepEqual(r, { status: 'ok' });
        const [out] = await rs.waitFor(`out ${id}`, (x) => x.msg.trim() === `out ${id}`);
        const [err] = await rs.waitFor(`err ${id}`, (x) => x.msg.trim() === `err ${id}`);
        assertParsed(out!, format, 3, 6, '3f2a1b4c5d6e', `out ${id}`);
        assertParsed(err!, format, 3, 3, '3f2a1b4c5d6e', `err ${id}`);
        assert.equal(out!.inputname, inputs[transport]);
      });
    }
  }

  it('facility by name and by number, tag templates, one message per partial chunk', async () => {
    const chunks = [1, 2].map((n) => message('stdout', T, Buffer.from(`chunk-${n}`), { id: 'p', ordinal: n, last: n === 2 }));
    assert.deepEqual(await sendOnce({ ...transports().tcp, 'syslog-format': 'rfc5424', 'syslog-facility': 'local7', tag: '{{.Name}}-{{.ID}}' }, chunks), { status: 'ok' });
    const got = await rs.waitFor('the chunks', (x) => x.msg.startsWith('chunk-'), 2);
    got.forEach((r, i) => assertParsed(r, 'rfc5424', 23, 6, 'web-3f2a1b4c5d6e', `chunk-${i + 1}`));
    assert.deepEqual(await sendOnce({ ...transports().udp, 'syslog-format': 'rfc3164', 'syslog-facility': '0' }, [message('stderr', T, Buffer.from('kern line'))]), { status: 'ok' });
    const [kern] = await rs.waitFor('kern line', (x) => x.msg === ' kern line');
    assertParsed(kern!, 'rfc3164', 0, 3, '3f2a1b4c5d6e', 'kern line');
  });

  it('PROCID is the workload\'s current pid, read at each send', async () => {
    let pid = 100;
    const driver = await syslog.create(syslog.parseOptions({ ...transports().tcp, 'syslog-format': 'rfc5424' }), { ...ctx, pid: () => pid });
    await driver.send([message('stdout', T, Buffer.from('first run'))], new AbortController().signal);
    pid = 200;
    await driver.send([message('stdout', T, Buffer.from('second run'))], new AbortController().signal);
    await driver.close();
    assert.equal((await rs.waitFor('first run', (x) => x.msg === 'first run'))[0]!.procid, '100');
    assert.equal((await rs.waitFor('second run', (x) => x.msg === 'second run'))[0]!.procid, '200');
  });

  it('tcp+tls with a client certificate (rsyslog x509/certvalid) and with syslog-tls-skip-verify', async () => {
    const opts = {
      'syslog-address': `tcp+tls://127.0.0.1:${mutual.tlsPort}`, 'syslog-format': 'rfc5424micro',
      'syslog-tls-ca-cert': certs.ca, 'syslog-tls-cert': certs.clientCert, 'syslog-tls-key': certs.clientKey,
    };
    assert.deepEqual(await sendOnce(opts, [message('stdout', T, Buffer.from('mutual tls'))]), { status: 'ok' });
    assertParsed((await mutual.waitFor('mutual tls', (x) => x.msg === 'mutual tls'))[0]!, 'rfc5424micro', 3, 6, '3f2a1b4c5d6e', 'mutual tls');
    const skipVerify = { 'syslog-address': `tcp+tls://127.0.0.1:${rs.tlsPort}`, 'syslog-tls-skip-verify': '' };
    assert.deepEqual(await sendOnce(skipVerify, [message('stdout', T, Buffer.from('unverified'))]), { status: 'ok' });
    await rs.waitFor('unverified', (x) => x.msg === ' unverified');
  });

  it('a server certificate from another CA: retry naming the TLS failure, nothing sent; the probe says the same', async () => {
    const opts = { 'syslog-address': `tcp+tls://127.0.0.1:${rs.tlsPort}`, 'syslog-tls-ca-cert': certs.otherCa };
    const r = await sendOnce(opts, [message('stdout', T, Buffer.from('must not arrive'))]);
    assert.equal(r.status, 'retry');
    assert.match((r as { error: Error }).error.message, /^syslog tcp\+tls:\/\/127\.0\.0\.1:\d+: .*(certificate|self.signed|verify)/i);
    await assert.rejects(syslog.probe!(syslog.parseOptions(opts), ctx, 2000), /certificate|self.signed|verify/i);
    await syslog.probe!(syslog.parseOptions({ ...opts, 'syslog-tls-ca-cert': certs.ca }), ctx, 2000);
    assert.ok(!rs.records().some((x) => x.msg.includes('must not arrive')));
  });

  it('probe: connects to tcp and unix servers, names the address of one that is down', async () => {
    await syslog.probe!(syslog.parseOptions(transports().tcp), ctx, 2000);
    await syslog.probe!(syslog.parseOptions(transports().unix), ctx, 2000);
    await syslog.probe!(syslog.parseOptions(transports().udp), ctx, 2000);
    await assert.rejects(syslog.probe!(syslog.parseOptions({ 'syslog-address': 'tcp://127.0.0.1:1' }), ctx, 2000), /^Error: tcp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
  });
});

describe('syslog driver on the wire (a TLS listener that records bytes)', { skip: skip ? skip : false }, () => {
  let dir = '';
  let certs: TestCerts;
  let server: tls.Server;
  let port = 0;
  const received: Buffer[] = [];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-syslog-wire-'));
    certs = makeTestCerts(dir);
    server = tls.createServer({ cert: fs.readFileSync(certs.serverCert), key: fs.readFileSync(certs.serverKey) }, (s) => s.on('data', (d: Buffer) => received.push(d)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function wire(format: string, lines: string[]): Promise<string> {
    received.length = 0;
    const expectLength = lines.length;
    const r = await sendOnce({ 'syslog-address': `tcp+tls://127.0.0.1:${port}`, 'syslog-tls-ca-cert': certs.ca, 'syslog-format': format },
      lines.map((l, i) => message(i % 2 ? 'stderr' : 'stdout', T, Buffer.from(l))));
    assert.deepEqual(r, { status: 'ok' });
    for (let i = 0; i < 250 && Buffer.concat(received).toString().split('\n').length <= expectLength; i++) await new Promise((res) => setTimeout(res, 20));
    return Buffer.concat(received).toString('utf8');
  }

  it('tcp+tls with rfc5424 and rfc5424micro uses RFC 5425 octet counting; the length counts the newline', async () => {
    const a = `<30>1 2024-05-01T12:00:00+02:00 ${HOST} 3f2a1b4c5d6e 4321 3f2a1b4c5d6e - héllo\n`;
    const b = `<27>1 2024-05-01T12:00:00+02:00 ${HOST} 3f2a1b4c5d6e 4321 3f2a1b4c5d6e - second\n`;
    assert.equal(await wire('rfc5424', ['héllo', 'second']), `${Buffer.byteLength(a)} ${a}${Buffer.byteLength(b)} ${b}`);
    const m = `<30>1 2024-05-01T12:00:00.123456+02:00 ${HOST} 3f2a1b4c5d6e 4321 3f2a1b4c5d6e - micro\n`;
    assert.equal(await wire('rfc5424micro', ['micro']), `${Buffer.byteLength(m)} ${m}`);
  });

  it('tcp+tls with the 3164 forms is newline-terminated, unframed', async () => {
    assert.equal(await wire('rfc3164', ['x', 'y']), `<30>May  1 12:00:00 ${HOST} 3f2a1b4c5d6e[4321]: x\n<27>May  1 12:00:00 ${HOST} 3f2a1b4c5d6e[4321]: y\n`);
    assert.equal(await wire('', ['z']), '<30>May  1 12:00:00 3f2a1b4c5d6e[4321]: z\n');
  });
});
