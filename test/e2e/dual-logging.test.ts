import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestAgent } from '../helpers/cli';
import { Rsyslog, rsyslogInstalled } from '../helpers/peers/rsyslog';

async function inspect(agent: TestAgent, ref: string) {
  return JSON.parse((await agent.run(['inspect', ref])).stdout)[0];
}

describe('several log drivers and the local cache', { skip: rsyslogInstalled() ? false : 'rsyslogd is not installed (apt-get install rsyslog)' }, () => {
  const agent = new TestAgent();
  let rs: Rsyslog;
  let address = '';
  before(async () => {
    rs = await Rsyslog.start({ plain: true });
    address = `tcp://127.0.0.1:${rs.port}`;
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    await rs?.close();
  });

  it('a remote driver alone gets a local cache, so corral logs works; cache-* options size it', async () => {
    const r = await agent.run(['run', '--name', 'cached', '--log-driver', 'syslog', '--log-opt', `syslog-address=${address}`,
      '--log-opt', 'cache-max-size=1k', '--log-opt', 'cache-max-file=2', '--log-opt', 'cache-compress=false',
      '--', 'sh', '-c', 'i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo cached-line-$i; done']);
    assert.equal(r.code, 0, r.stderr);
    await rs.waitFor('the last line at rsyslog', (x) => x.msg.trim() === 'cached-line-100');
    const logs = await agent.run(['logs', '--tail', '3', 'cached']);
    assert.equal(logs.stdout, 'cached-line-98\ncached-line-99\ncached-line-100\n');
    const s = await inspect(agent, 'cached');
    assert.equal(s.LogStats.Sent, 100, 'the first driver (syslog) sent every line');
    assert.equal(s.LogStats.SentBy.cache, 100);
    const files = fs.readdirSync(path.dirname(s.LogPath)).filter((f) => f.includes('-json.log'));
    assert.deepEqual(files.sort(), [`${s.Id}-json.log`, `${s.Id}-json.log.1`], 'cache-max-file=2, not compressed: the options take effect');
    assert.ok(fs.statSync(s.LogPath).size < 2048);
  });

  it('cache-disabled=true: the lines go only to the server, and logs says why it cannot read', async () => {
    const r = await agent.run(['run', '--name', 'uncached', '--log-driver', 'syslog', '--log-opt', `syslog-address=${address}`,
      '--log-opt', 'cache-disabled=true', '--', 'echo', 'only-remote']);
    assert.equal(r.code, 0, r.stderr);
    await rs.waitFor('the line at rsyslog', (x) => x.msg.trim() === 'only-remote');
    const logs = await agent.run(['logs', 'uncached']);
    assert.notEqual(logs.code, 0);
    assert.match(logs.stderr, /does not support reading/);
  });

  it('two drivers at once, options scoped per driver; ambiguous or misdirected options are refused', async () => {
    const r = await agent.run(['run', '--name', 'both', '--log-driver', 'json-file', '--log-driver', 'syslog',
      '--log-opt', 'json-file:max-size=10m', '--log-opt', `syslog:syslog-address=${address}`, '--log-opt', 'syslog:tag=both-tag',
      '--', 'sh', '-c', 'echo to-both; echo err-to-both >&2']);
    assert.equal(r.code, 0, r.stderr);
    const [rec] = await rs.waitFor('the line at rsyslog', (x) => x.msg.trim() === 'to-both');
    assert.match(rec!.rawmsg ?? JSON.stringify(rec), /both-tag/);
    assert.equal((await agent.run(['logs', 'both'])).stdout, 'to-both\n');
    const s = await inspect(agent, 'both');
    assert.equal(s.HostConfig.LogConfig.Type, 'json-file');
    assert.deepEqual(s.HostConfig.LogConfigs.map((c: { Type: string }) => c.Type), ['json-file', 'syslog']);
    assert.deepEqual(s.LogStats.SentBy, { 'json-file': 2, syslog: 2 }, 'json-file reads back: no cache');

    const ambiguous = await agent.run(['run', '--log-driver', 'json-file', '--log-driver', 'syslog', '--log-opt', 'tag=x', '--', 'true']);
    assert.equal(ambiguous.code, 125);
    assert.match(ambiguous.stderr, /log opt 'tag' is ambiguous with several log drivers: scope it as <driver>:tag=x/);
    const elsewhere = await agent.run(['run', '--log-opt', 'fluentd:tag=x', '--', 'true']);
    assert.equal(elsewhere.code, 125);
    assert.match(elsewhere.stderr, /log opt 'fluentd:tag' is for log driver 'fluentd', which is not one of --log-driver \(json-file\)/);
    const badCache = await agent.run(['run', '--log-driver', 'syslog', '--log-opt', `syslog-address=${address}`, '--log-opt', 'cache-max-size=huge', '--', 'true']);
    assert.equal(badCache.code, 125);
    assert.match(badCache.stderr, /cache-max-size/);
    assert.equal((await agent.run(['ps', '-a', '-q'])).stdout.trim().split('\n').length, 3, 'nothing created by a refused run');
  });
});
