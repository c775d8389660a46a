import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { TestAgent } from '../helpers/cli';
import { Rsyslog, rsyslogInstalled } from '../helpers/peers/rsyslog';

describe('corral run --log-driver syslog', { skip: rsyslogInstalled() ? false : 'rsyslogd is not installed (apt-get install rsyslog)' }, () => {
  const agent = new TestAgent();
  let rs: Rsyslog;
  before(async () => {
    rs = await Rsyslog.start({ plain: true });
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    await rs?.close();
  });

  it('ships stdout at info and stderr at err with the tag, the workload\'s pid and Docker\'s rfc5424 header', async () => {
    const r = await agent.run(['run', '--name', 'shipper', '--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${rs.port}`,
      '--log-opt', 'syslog-format=rfc5424', '--log-opt', 'syslog-facility=local3', '--log-opt', 'tag={{.Name}}',
      '--', 'sh', '-c', 'echo "out $$"; echo "err $$" >&2']);
    assert.equal(r.code, 0, r.stderr);
    const [out] = await rs.waitFor('the stdout line', (x) => x.msg.startsWith('out '));
    const [err] = await rs.waitFor('the stderr line', (x) => x.msg.startsWith('err '));
    const pid = out!.msg.split(' ')[1]!;
    assert.match(pid, /^\d+$/);
    assert.equal(err!.msg, `err ${pid}`);
    for (const [rec, severity] of [[out!, 6], [err!, 3]] as const) {
      assert.equal(rec.pri, String(19 * 8 + severity));
      assert.equal(rec.syslogseverity, String(severity));
      assert.equal(rec.syslogfacility, '19');
      assert.equal(rec['app-name'], 'shipper');
      assert.equal(rec.msgid, 'shipper');
      assert.equal(rec.procid, pid, 'PROCID is the workload\'s pid, not the agent\'s');
      assert.equal(rec.hostname, os.hostname());
      assert.equal(rec['structured-data'], '-');
      assert.match(rec.timereported, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$/);
    }
  });

  it('the default tag is the 12-character short id (unix format over UDP)', async () => {
    const r = await agent.run(['run', '-d', '--name', 'udp', '--log-driver', 'syslog', '--log-opt', `syslog-address=udp://127.0.0.1:${rs.port}`,
      '--', 'sh', '-c', 'echo over-udp']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    await agent.run(['wait', 'udp']);
    const [rec] = await rs.waitFor('the udp line', (x) => x.msg === ' over-udp');
    assert.equal(rec!.syslogtag.replace(/\[\d+\]:$/, ''), id.slice(0, 12));
    assert.equal(rec!.pri, '30');
  });

  it('a bad or unknown log opt makes run exit 125 naming the key, creating nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['syslog-facility=local9'], /syslog-facility/],
      [['syslog-format=json'], /syslog-format/],
      [['syslog-address=ftp://h'], /syslog-address: unsupported scheme: 'ftp'/],
      [['syslog-address=tcp+tls://127.0.0.1:1', 'syslog-tls-ca-cert=/no/such/ca.pem'], /syslog-tls-ca-cert/],
      [['syslog-adress=udp://127.0.0.1'], /unknown log opt 'syslog-adress' for syslog log driver/],
    ];
    for (const [opts, text] of cases) {
      const r = await agent.run(['run', '--name', 'bad', '--log-driver', 'syslog', ...opts.flatMap((o) => ['--log-opt', o]), '--', 'true']);
      assert.equal(r.code, 125, `${opts.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, text);
    }
    assert.doesNotMatch((await agent.run(['ps', '-a'])).stdout, /\bbad\b/);
  });

  it('a server that is down never hangs run, stop or rm; the lines go once it is back', async () => {
    const later = await Rsyslog.start({ plain: true });
    try {
      await later.down();
      const opts = ['--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${later.port}`, '--log-opt', 'syslog-format=rfc5424'];
      const attached = agent.run(['run', '--name', 'down-attached', ...opts, '--', 'sh', '-c', 'echo lost-not; exit 3']);
      const d = await agent.run(['run', '-d', '--name', 'down-detached', ...opts, '--', 'sh', '-c', 'echo a-line; echo b-line >&2; sleep 60']);
      assert.equal(d.code, 0, d.stderr);
      assert.equal((await agent.run(['stop', '-t', '1', 'down-detached'])).code, 0);
      assert.equal((await agent.run(['rm', 'down-detached'])).code, 0);
      const a = await attached;
      assert.equal(a.code, 3, `run exits with the workload's code: ${a.stderr}`);
      assert.match(a.stderr, /log driver syslog: server not reachable: tcp:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/, 'the probe warns');
      const strict = await agent.run(['run', '--name', 'down-strict', ...opts, '--log-opt', 'syslog-require-healthy=true', '--', 'true']);
      assert.equal(strict.code, 125, strict.stderr);
      assert.equal((await agent.run(['rm', 'down-attached'])).code, 0);
      // The ended runs' outlets keep retrying in the background (the engine's drain).
      await later.up();
      const got = await later.waitFor('the lines held while the server was down', (x) => /^(a-line|b-line|lost-not)$/.test(x.msg), 3, 60_000);
      assert.deepEqual(got.map((x) => [x.msg, x.syslogseverity]).sort(), [['a-line', '6'], ['b-line', '3'], ['lost-not', '6']]);
    } finally {
      await later.close();
    }
  });
});
