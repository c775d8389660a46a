import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestAgent, eventually } from '../helpers/cli';
import { makeTestCerts } from '../helpers/peers/certs';
import { ForwardEvent, FluentdPeer } from '../helpers/peers/fluentd';

/** A loopback port with nobody listening (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

describe('corral run --log-driver fluentd', () => {
  const agent = new TestAgent();
  let peer: FluentdPeer;
  const peers: FluentdPeer[] = [];
  before(async () => {
    peer = await FluentdPeer.start();
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    await Promise.all([peer, ...peers].map((p) => p.close()));
  });

  const byLog = (p: FluentdPeer, log: string) => p.events.filter((e) => e.record['log'] === log);
  const waitEvents = (p: FluentdPeer, what: string, f: (e: ForwardEvent) => boolean, n = 1, tries = 250) =>
    eventually(what, async () => { const got = p.events.filter(f); return got.length >= n && got; }, tries);

  it('ships stdout and stderr as Docker\'s records: ids, name, source, labels and env, the short-id tag, the line\'s time', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await agent.run(['run', '--name', 'fe', '-l', 'team=core', '-e', 'REGION=eu', '--log-driver', 'fluentd',
      '--log-opt', `fluentd-address=${peer.address}`, '--log-opt', 'labels=team', '--log-opt', 'env=REGION',
      '--log-opt', 'fluentd-sub-second-precision=true', '--', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const [info] = JSON.parse((await agent.run(['inspect', 'fe'])).stdout);
    assert.equal(info.HostConfig.LogConfig.Type, 'fluentd');
    const id: string = info.Id;
    await waitEvents(peer, 'both lines', (e) => e.record['log'] === 'out' || e.record['log'] === 'err', 2);
    const common = { container_id: id, container_name: '/fe', team: 'core', REGION: 'eu' };
    assert.deepEqual(byLog(peer, 'out').map((e) => e.record), [{ ...common, source: 'stdout', log: 'out' }]);
    assert.deepEqual(byLog(peer, 'err').map((e) => e.record), [{ ...common, source: 'stderr', log: 'err' }]);
    for (const e of [...byLog(peer, 'out'), ...byLog(peer, 'err')]) {
      assert.equal(e.tag, id.slice(0, 12));
      assert.equal(e.time.eventTime, true);
      assert.ok(e.time.seconds >= before - 1 && e.time.seconds <= Math.ceil(Date.now() / 1000) + 1, `time ${e.time.seconds} is the line's`);
    }
    const logs = await agent.run(['logs', 'fe']);
    assert.deepEqual([logs.stdout, logs.stderr], ['out\n', 'err\n'], 'the local cache still serves corral logs');
  });

  it('a line of 16 KiB or more arrives as partial records with Docker\'s partial_* fields', async () => {
    const r = await agent.run(['run', '--name', 'long', '--log-driver', 'fluentd', '--log-opt', `fluentd-address=${peer.address}`,
      '--log-opt', 'fluentd-event-mode=CompressedPackedForward', '--', 'sh', '-c', 'head -c 40000 /dev/zero | tr "\\0" y; echo']);
    assert.equal(r.code, 0, r.stderr);
    const chunks = await waitEvents(peer, 'the three chunks', (e) => String(e.record['log']).startsWith('yyy'), 3);
    assert.deepEqual(chunks.map((e) => String(e.record['log']).length), [16384, 16384, 40000 - 32768]);
    assert.deepEqual(chunks.map((e) => [e.record['partial_message'], e.record['partial_ordinal'], e.record['partial_last']]),
      [['true', '1', 'false'], ['true', '2', 'false'], ['true', '3', 'true']]);
    assert.equal(new Set(chunks.map((e) => e.record['partial_id'])).size, 1);
    assert.match(String(chunks[0]!.record['partial_id']), /\S/);
  });

  it('a bad or unknown log opt makes run exit 125 naming the key, creating nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['fluentd-adress=127.0.0.1:1'], /unknown log opt 'fluentd-adress' for fluentd log driver/],
      [['fluentd-address=udp://127.0.0.1:1'], /fluentd-address: unsupported scheme: 'udp'/],
      [['fluentd-retry-wait=soon'], /fluentd-retry-wait/],
      [['fluentd-event-mode=Forward'], /fluentd-event-mode: expected Message, PackedForward, CompressedPackedForward/],
      [['fluentd-max-retries=many'], /fluentd-max-retries/],
    ];
    for (const [opts, text] of cases) {
      const r = await agent.run(['run', '--name', 'bad', '--log-driver', 'fluentd', ...opts.flatMap((o) => ['--log-opt', o]), '--', 'true']);
      assert.equal(r.code, 125, `${opts.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, text);
    }
    assert.doesNotMatch((await agent.run(['ps', '-a'])).stdout, /\bbad\b/);
  });

  it('with nothing listening, run, stop and rm -f return; once fluentd starts the lines arrive', async () => {
    const port = await closedPort();
    const opts = ['--log-driver', 'fluentd', '--log-opt', `fluentd-address=127.0.0.1:${port}`, '--log-opt', 'fluentd-retry-wait=100ms',
      '--log-opt', 'fluentd-request-ack=true'];
    const attached = await agent.run(['run', '--name', 'down-attached', ...opts, '--', 'sh', '-c', 'echo lost-not; exit 3'], { timeoutMs: 20_000 });
    assert.equal(attached.code, 3, `run exits with the workload's code: ${attached.stderr}`);
    const d = await agent.run(['run', '-d', '--name', 'down-detached', ...opts, '--', 'sh', '-c', 'echo early; echo early-err >&2; sleep 60'], { timeoutMs: 20_000 });
    assert.equal(d.code, 0, d.stderr);
    const f = await agent.run(['run', '-d', '--name', 'down-forced', ...opts, '--', 'sh', '-c', 'echo forced; sleep 60'], { timeoutMs: 20_000 });
    assert.equal(f.code, 0, f.stderr);
    assert.equal((await agent.run(['stop', '-t', '1', 'down-detached'], { timeoutMs: 20_000 })).code, 0);
    assert.equal((await agent.run(['rm', 'down-detached'], { timeoutMs: 20_000 })).code, 0);
    assert.equal((await agent.run(['rm', '-f', 'down-forced'], { timeoutMs: 20_000 })).code, 0);
    assert.equal((await agent.run(['rm', 'down-attached'], { timeoutMs: 20_000 })).code, 0);

    const late = await FluentdPeer.start({}, port);
    peers.push(late);
    const want = ['lost-not', 'early', 'early-err', 'forced'];
    await waitEvents(late, 'the lines held while fluentd was down', (e) => want.includes(String(e.record['log'])), 4, 1500);
    assert.deepEqual(want.map((w) => byLog(late, w).length >= 1), [true, true, true, true]);
    assert.equal(byLog(late, 'early-err')[0]!.record['source'], 'stderr');
  });
});

describe('corral run --log-driver fluentd over tls://', () => {
  // Docker's tls:// trusts the system's CAs; the agent gets the test CA the way Node adds one.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-fluentd-tls-'));
  const certs = makeTestCerts(dir);
  const agent = new TestAgent();
  let peer: FluentdPeer;
  before(async () => {
    peer = await FluentdPeer.start({ tls: { cert: certs.serverCert, key: certs.serverKey }, sharedKey: 'tls-and-key', serverHostname: 'fluentd.example' });
    const saved = process.env['NODE_EXTRA_CA_CERTS'];
    process.env['NODE_EXTRA_CA_CERTS'] = certs.ca;
    try { await agent.start(); } finally { if (saved === undefined) delete process.env['NODE_EXTRA_CA_CERTS']; else process.env['NODE_EXTRA_CA_CERTS'] = saved; }
  });
  after(async () => {
    await agent.stop();
    await peer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does the shared-key handshake inside TLS and ships the lines', async () => {
    const r = await agent.run(['run', '--name', 'secure', '--log-driver', 'fluentd', '--log-opt', `fluentd-address=${peer.address}`,
      '--log-opt', 'fluentd-shared-key=tls-and-key', '--log-opt', 'fluentd-request-ack=true', '--', 'sh', '-c', 'echo over-tls']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(peer.address, /^tls:\/\//);
    await eventually('the line', async () => peer.events.some((e) => e.record['log'] === 'over-tls'));
    assert.deepEqual(peer.handshakes.map((h) => h.accepted), [true]);
    assert.equal(peer.handshakes[0]!.clientHostname, os.hostname());
  });
});
