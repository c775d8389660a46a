import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OptionError } from '../../engine/logs/driver';
import { parseSyslogOptions } from '../../drivers/syslog/options';

const parse = (o: Record<string, string>) => parseSyslogOptions(o);
const rejects = (o: Record<string, string>, text: RegExp) => assert.throws(() => parse(o), (e: Error) => e instanceof OptionError && text.test(e.message));

describe('syslog options (Docker\'s keys, defaults and checks)', () => {
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-syslog-opts-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('defaults: the local socket, facility daemon, the unix format, the short-id tag', () => {
    assert.deepEqual(parse({}), { address: { kind: 'local' }, facility: 3, format: '', tag: '{{.ID}}', tls: { ca: undefined, cert: undefined, key: undefined, skipVerify: false } });
    assert.equal(parse({ tag: '' }).tag, '{{.ID}}');
  });

  it('addresses: schemes, port 514 by default, IPv6, unix paths that exist', () => {
    assert.deepEqual(parse({ 'syslog-address': 'udp://10.0.0.1' }).address, { kind: 'udp', host: '10.0.0.1', port: 514 });
    assert.deepEqual(parse({ 'syslog-address': 'tcp://logs.example:1514' }).address, { kind: 'tcp', host: 'logs.example', port: 1514 });
    assert.deepEqual(parse({ 'syslog-address': 'tcp+tls://[::1]:6514' }).address, { kind: 'tcp+tls', host: '::1', port: 6514 });
    assert.deepEqual(parse({ 'syslog-address': `unix://${dir}` }).address, { kind: 'unix', path: dir });
    rejects({ 'syslog-address': 'unix:///no/such/sock' }, /^invalid value "unix:\/\/\/no\/such\/sock" for log opt syslog-address: stat \/no\/such\/sock: no such file or directory/);
    rejects({ 'syslog-address': 'http://h:1' }, /log opt syslog-address: unsupported scheme: 'http' \(expected udp:\/\/host\[:port\], tcp:\/\/host\[:port\], tcp\+tls/);
    rejects({ 'syslog-address': '127.0.0.1:514' }, /log opt syslog-address: no scheme/);
    rejects({ 'syslog-address': 'tcp://h:99999' }, /log opt syslog-address: not a valid address/);
    rejects({ 'syslog-address': 'tcp://' }, /log opt syslog-address: missing host/);
    assert.deepEqual(parse({ 'syslog-address': `unixgram://${dir}` }).address, { kind: 'unixgram', path: dir }, 'datagram sockets come from the native addon');
  });

  it('facility: Docker\'s names and 0-23', () => {
    assert.equal(parse({ 'syslog-facility': 'kern' }).facility, 0);
    assert.equal(parse({ 'syslog-facility': 'authpriv' }).facility, 10);
    assert.equal(parse({ 'syslog-facility': 'local7' }).facility, 23);
    assert.equal(parse({ 'syslog-facility': '17' }).facility, 17);
    for (const bad of ['24', '-1', 'LOCAL0', 'local8', '1.5']) rejects({ 'syslog-facility': bad }, new RegExp(`^invalid value "${bad.replace('.', '\\.')}" for log opt syslog-facility: invalid syslog facility`));
  });

  it('format: "", rfc3164, rfc5424, rfc5424micro', () => {
    for (const f of ['', 'rfc3164', 'rfc5424', 'rfc5424micro']) assert.equal(parse({ 'syslog-format': f }).format, f);
    rejects({ 'syslog-format': 'rfc5425' }, /^invalid value "rfc5425" for log opt syslog-format: Invalid syslog format \(expected rfc3164, rfc5424, rfc5424micro or empty\)/);
  });

  it('TLS files are read (only) for tcp+tls; skip-verify is on when the key is present, whatever its value', () => {
    const ca = path.join(dir, 'ca.pem');
    fs.writeFileSync(ca, 'PEM');
    const tls = parse({ 'syslog-address': 'tcp+tls://h', 'syslog-tls-ca-cert': ca, 'syslog-tls-skip-verify': 'false' }).tls;
    assert.equal(tls.ca?.toString(), 'PEM');
    assert.equal(tls.skipVerify, true);
    assert.equal(parse({ 'syslog-address': 'tcp://h', 'syslog-tls-ca-cert': '/missing' }).tls.ca, undefined);
    rejects({ 'syslog-address': 'tcp+tls://h', 'syslog-tls-ca-cert': '/missing.pem' }, /^invalid value "\/missing\.pem" for log opt syslog-tls-ca-cert: cannot read it/);
    rejects({ 'syslog-address': 'tcp+tls://h', 'syslog-tls-cert': ca }, /syslog-tls-cert and syslog-tls-key go together/);
  });

  it('labels/env and their regexes are accepted (unused, as Docker); bad regexes and tags are refused', () => {
    parse({ labels: 'a', env: 'B', 'labels-regex': '^x', 'env-regex': '^y' });
    rejects({ 'env-regex': '(' }, /log opt env-regex: not a valid regular expression/);
    rejects({ tag: '{{.Nope}}' }, /log opt tag: unknown field \.Nope/);
  });

  it('an unknown key is Docker\'s error', () => {
    rejects({ 'syslog-adress': 'udp://h' }, /^unknown log opt 'syslog-adress' for syslog log driver$/);
    rejects({ 'max-size': '1m' }, /^unknown log opt 'max-size' for syslog log driver$/);
  });
});
