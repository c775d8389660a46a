import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchLogsClient, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DriverContext, SendResult } from '../../engine/logs/driver';
import { LogMessage, message } from '../../engine/logs/message';
import { Outlet } from '../../engine/logs/outlet';
import { AwsLogsDriver, awslogs, parseAwsLogsOptions } from '../../drivers/awslogs';
import { openAwsLogsDriver } from '../../drivers/awslogs';
import { EVENT_OVERHEAD, MAX_CALL_BYTES, MAX_CALL_EVENTS, MAX_EVENT_BYTES } from '../../drivers/awslogs/limits';
import { ACCESS_KEY_ID, CloudWatchPeer, SECRET_ACCESS_KEY } from '../helpers/peers/cloudwatch';

// The real SDK's default credential chain picks these up, as it would in the agent.
process.env['AWS_ACCESS_KEY_ID'] = ACCESS_KEY_ID;
process.env['AWS_SECRET_ACCESS_KEY'] = SECRET_ACCESS_KEY;
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const ID = 'b'.repeat(64);
const REGION = 'eu-central-1';
const GROUP = 'app';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ctx: DriverContext = { id: ID, name: 'web', logDir: '/nonexistent', labels: {}, env: [], created: 0n, pid: () => 1 };
const never = new AbortController().signal;

const NOW = Date.now();
const at = (ms: number, text: string | Buffer, stream: 'stdout' | 'stderr' = 'stdout', partial?: LogMessage['partial']) =>
  message(stream, BigInt(ms) * 1_000_000n, Buffer.isBuffer(text) ? text : Buffer.from(text), partial);
const lines = (n: number, prefix: string, from = NOW, stream: 'stdout' | 'stderr' = 'stdout') =>
  Array.from({ length: n }, (_, i) => at(from + i, `${prefix}-${i}`, stream));

describe('awslogs driver against a CloudWatch Logs peer', () => {
  let peer: CloudWatchPeer;
  const drivers: AwsLogsDriver[] = [];
  before(async () => { peer = await CloudWatchPeer.start(); });
  after(async () => { await Promise.all(drivers.map((d) => d.close())); await peer.close(); });
  beforeEach(() => { peer.groups.clear(); peer.calls.length = 0; });

  function open(extra: Record<string, string> = {}): AwsLogsDriver {
    const o = parseAwsLogsOptions({ 'awslogs-region': REGION, 'awslogs-endpoint': peer.endpoint, 'awslogs-group': GROUP, ...extra }, {});
    const d = openAwsLogsDriver(o, ctx);
    drivers.push(d);
    return d;
  }
  const stored = (stream = ID) => peer.events(GROUP, stream).map((e) => e.message);
  const ok = (r: SendResult) => assert.equal(r.status, 'ok', r.status === 'ok' ? '' : r.error.message);
  const puts = () => peer.callsOf('PutLogEvents').filter((c) => !c.error).map((c) => c.body['logEvents'] as { timestamp: number; message: string }[]);

  it('stores each line as an event with its time, in a stream named after the full id, signed with the default credentials', async () => {
    peer.createGroup(GROUP);
    const d = open();
    ok(await d.send([at(NOW, 'out 1'), at(NOW + 1, 'err 1', 'stderr'), at(NOW + 2, 'caf\u00e9 \u2028 \u{1F600}')], never));
    assert.deepEqual(peer.events(GROUP, ID).map((e) => [e.timestamp, e.message]), [[NOW, 'out 1'], [NOW + 1, 'err 1'], [NOW + 2, 'caf\u00e9 \u2028 \u{1F600}']]);
    assert.deepEqual(peer.calls.map((c) => c.operation), ['CreateLogStream', 'PutLogEvents'], 'no CreateLogGroup without awslogs-create-group');
    for (const c of peer.calls) {
      assert.deepEqual([c.region, c.service, c.accessKeyId, c.error], [REGION, 'logs', ACCESS_KEY_ID, undefined]);
      assert.match(String(c.headers['user-agent']), /corral/);
    }
    // The peer's read side, through the same SDK.
    const client = new CloudWatchLogsClient({ region: REGION, endpoint: peer.endpoint });
    const got = await client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: ID, startFromHead: true }));
    assert.deepEqual(got.events?.map((e) => e.message), ['out 1', 'err 1', 'caf\u00e9 \u2028 \u{1F600}']);
    const found = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: '"err 1"' }));
    assert.deepEqual(found.events?.map((e) => [e.logStreamName, e.message]), [[ID, 'err 1']]);
    const streams = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));
    assert.deepEqual(streams.logStreams?.map((s) => [s.logStreamName, s.firstEventTimestamp, s.lastEventTimestamp]), [[ID, NOW, NOW + 2]]);
    client.destroy();
  });

  it('names the stream from awslogs-stream, else from tag', async () => {
    peer.createGroup(GROUP);
    ok(await open({ tag: '{{.Name}}/{{.ID}}' }).send([at(NOW, 'tagged')], never));
    ok(await open({ tag: '{{.Name}}', 'awslogs-stream': 'explicit' }).send([at(NOW, 'explicit')], never));
    assert.deepEqual([stored(`web/${ID.slice(0, 12)}`), stored('explicit')], [['tagged'], ['explicit']]);
  });

  it('creates the group only with awslogs-create-group=true, and says how when it may not', async () => {
    const r = await open().send([at(NOW, 'x')], never);
    assert.equal(r.status, 'fail');
    assert.match(r.status === 'fail' ? r.error.message : '', /^CreateLogStream \(group "app", stream "b{64}"\): ResourceNotFoundException: The specified log group does not exist\. \(set awslogs-create-group=true/);
    assert.equal(peer.groups.size, 0);
    ok(await open({ 'awslogs-create-group': 'true' }).send([at(NOW, 'created')], never));
    assert.deepEqual(peer.calls.filter((c) => !c.error).map((c) => c.operation), ['CreateLogGroup', 'CreateLogStream', 'PutLogEvents']);
    assert.deepEqual(stored(), ['created']);
  });

  it('with awslogs-create-stream=false puts straight into an existing stream, and fails when it is missing', async () => {
    peer.createStream(GROUP, 'fixed');
    ok(await open({ 'awslogs-create-stream': 'false', 'awslogs-stream': 'fixed' }).send([at(NOW, 'direct')], never));
    assert.deepEqual(peer.calls.map((c) => c.operation), ['PutLogEvents']);
    const r = await open({ 'awslogs-create-stream': 'false', 'awslogs-stream': 'absent', 'awslogs-create-group': 'true' }).send([at(NOW, 'x')], never);
    assert.equal(r.status, 'fail');
    assert.match(r.status === 'fail' ? r.error.message : '', /ResourceNotFoundException: The specified log stream does not exist\. \(awslogs-create-stream is false\)/);
    assert.deepEqual(stored('fixed'), ['direct']);
  });

  it('creates a stream deleted while it runs and sends the batch again, once', async () => {
    const d = open({ 'awslogs-create-group': 'true' });
    ok(await d.send(lines(3, 'first'), never));
    peer.groups.delete(GROUP);
    ok(await d.send(lines(3, 'second'), never));
    await d.close(); // the driver holds a call that is not full: close() sends it
    assert.deepEqual(stored(), ['second-0', 'second-1', 'second-2']);
    assert.deepEqual(peer.calls.slice(-5).map((c) => [c.operation, c.error]), [
      ['PutLogEvents', 'ResourceNotFoundException'], ['CreateLogStream', 'ResourceNotFoundException'], ['CreateLogGroup', undefined],
      ['CreateLogStream', undefined], ['PutLogEvents', undefined]]);
  });

  it('answers retry for throttling, 5xx, resets and a peer that is down; a retried batch resumes after the calls already stored', async () => {
    peer.createGroup(GROUP);
    const d = open();
    const batch = lines(25_000, 'resume'); // three calls
    peer.inject('PutLogEvents', 'ok', 'throttle', 'server-error', 'unavailable', 'reset');
    const results: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await d.send(batch, never);
      results.push(r.status === 'retry' ? r.error.message.replace(/ \(group.*?\)/, '').split(':').slice(0, 2).join(':') : r.status);
      if (r.status === 'ok') break;
    }
    assert.deepEqual(results, [
      'PutLogEvents: ThrottlingException', 'PutLogEvents: InternalFailure', 'PutLogEvents: ServiceUnavailableException', 'PutLogEvents: TimeoutError', 'ok']);
    assert.deepEqual(stored(), batch.map((m) => m.line.toString()), 'every line once, in order');
    assert.deepEqual(puts().map((p) => p.length), [10_000, 10_000, 5_000]);

    const fresh = open(); // nothing stored yet: it holds nothing back, so the first call goes at once
    await peer.down();
    const down = await fresh.send(lines(1, 'while-down'), never);
    await peer.up();
    assert.equal(down.status, 'retry');
    ok(await fresh.send(lines(1, 'while-down'), never));
    assert.equal(stored().at(-1), 'while-down-0');
  });

  it('through an outlet: every line arrives exactly once across injected faults, and the outlet counts the retries', async () => {
    peer.createGroup(GROUP);
    const o = new Outlet(open(), { delivery: { mode: 'blocking', maxBufferBytes: 1 << 20 }, batch: awslogs.batch, retry: { baseMs: 1, capMs: 10 } });
    peer.inject('PutLogEvents', 'throttle', 'ok', 'server-error', 'reset', 'unavailable', 'throttle');
    peer.inject('CreateLogStream', 'throttle', 'server-error');
    const all = [...lines(12_000, 'o', NOW, 'stdout'), ...lines(3_000, 'e', NOW, 'stderr')];
    for (let i = 0; i < all.length; i += 500) o.offer(all.slice(i, i + 500));
    await o.close();
    assert.equal(o.stats.sent, 15_000);
    assert.deepEqual(o.stats.dropped, { 'buffer-full': 0, 'send-failed': 0, closed: 0 });
    assert.equal(o.stats.retries, 7, 'one per injected fault');
    const got = stored();
    assert.equal(got.length, 15_000);
    assert.equal(new Set(got).size, 15_000, 'nothing stored twice');
    assert.deepEqual(got.filter((t) => t.startsWith('o-')), all.slice(0, 12_000).map((m) => m.line.toString()));
  });

  it('once a call went through, holds a partly filled call until it is full, the flush interval passed, or close()', async () => {
    peer.createGroup(GROUP);
    const d = open({ 'awslogs-force-flush-interval-seconds': '600' });
    ok(await d.send(lines(1, 'first'), never));
    assert.deepEqual(stored(), ['first-0'], 'the first call goes at once: a bad group or key shows on the first batch');
    ok(await d.send(lines(100, 'small', NOW + 1), never));
    assert.equal(stored().length, 1, 'held: not full');
    ok(await d.send(lines(9_950, 'more', NOW + 200), never));
    assert.deepEqual(puts().map((p) => p.length), [1, 10_000], 'a full call goes at once, held lines first');
    await d.close();
    assert.equal(stored().length, 1 + 100 + 9_950);
    const quick = open({ 'awslogs-force-flush-interval-seconds': '1', 'awslogs-stream': 'quick' });
    ok(await quick.send(lines(1, 'q'), never));
    ok(await quick.send(lines(5, 'q', NOW + 1), never));
    await until('the held call, sent by the timer', () => stored('quick').length === 6);
  });

  it('keeps every PutLogEvents rule: sorted, <= 10,000 events, <= 1,048,576 bytes with 26 per event, full calls', async () => {
    peer.createGroup(GROUP);
    // stderr stamped earlier than stdout but sent after it: the calls must be sorted.
    const batch = [...lines(9_000, 'x'.repeat(120), NOW + 5_000), ...lines(9_000, 'y'.repeat(40), NOW, 'stderr')];
    ok(await open().send(batch, never));
    const calls = puts();
    const size = (p: { message: string }[]) => p.reduce((n, e) => n + Buffer.byteLength(e.message) + EVENT_OVERHEAD, 0);
    for (const p of calls) {
      assert.ok(p.length <= MAX_CALL_EVENTS && size(p) <= MAX_CALL_BYTES);
      assert.ok(p.every((e, i) => i === 0 || e.timestamp >= p[i - 1]!.timestamp));
    }
    for (let i = 0; i + 1 < calls.length; i++) {
      const next = calls[i + 1]![0]!;
      assert.ok(calls[i]!.length === MAX_CALL_EVENTS || size(calls[i]!) + Buffer.byteLength(next.message) + EVENT_OVERHEAD > MAX_CALL_BYTES, `call ${i} is full`);
    }
    assert.equal(stored().length, 18_000);
  });

  it('splits calls so none spans more than 24 hours (Docker fails here: moby#41529)', async () => {
    peer.createGroup(GROUP);
    const batch = Array.from({ length: 73 }, (_, h) => at(NOW - 72 * HOUR + h * HOUR, `hour-${h}`));
    ok(await open().send(batch, never));
    const spans = puts().map((p) => p.at(-1)!.timestamp - p[0]!.timestamp);
    assert.ok(spans.length >= 3 && spans.every((s) => s <= DAY), JSON.stringify(spans));
    assert.equal(stored().length, 73);
  });

  it('counts events the service refuses for their time (too old, too new, past retention) instead of retrying them', async () => {
    peer.createGroup(GROUP, 1);
    const d = open();
    ok(await d.send([at(NOW - 15 * DAY, 'too old'), at(NOW - 2 * DAY, 'expired'), at(NOW, 'fine'), at(NOW + 3 * HOUR, 'too new')], never));
    assert.deepEqual(stored(), ['fine']);
    assert.deepEqual(d.rejections(), { 'too-old': 1, 'too-new': 1, expired: 1, refused: 0, empty: 0, lost: 0 });
    assert.equal(d.rejected(), 3);
    assert.deepEqual(puts().map((p) => p.length), [1, 1, 2], 'each sent once (in calls of at most 24 hours)');
  });

  it('joins the 16 KiB chunks of a long line and cuts it at 262,118 bytes on character boundaries', async () => {
    peer.createGroup(GROUP);
    const text = 'a' + '\u20ac'.repeat(200_000);
    const raw = Buffer.from(text);
    const chunks: LogMessage[] = [];
    for (let i = 0, n = 1; i < raw.length; i += 16_384, n++) chunks.push(at(NOW, raw.subarray(i, i + 16_384), 'stdout', { id: 'long', ordinal: n, last: i + 16_384 >= raw.length }));
    ok(await open().send([at(NOW, 'short'), ...chunks, at(NOW + 1, 'after')], never));
    const got = stored();
    assert.equal(got.length, 5);
    assert.deepEqual([got[0], got[4]], ['short', 'after']);
    assert.equal(got.slice(1, 4).join(''), text);
    assert.ok(got.every((m) => Buffer.byteLength(m) <= MAX_EVENT_BYTES));
  });

  it('skips empty lines, counting them', async () => {
    peer.createGroup(GROUP);
    const d = open();
    ok(await d.send([at(NOW, ''), at(NOW, 'text'), at(NOW, '')], never));
    assert.deepEqual(stored(), ['text']);
    assert.equal(d.rejections().empty, 2);
  });

  it('joins multiline events, and the flush timer delivers an open one without another batch', async () => {
    peer.createGroup(GROUP);
    const d = open({ 'awslogs-multiline-pattern': '^\\S', 'awslogs-force-flush-interval-seconds': '1' });
    ok(await d.send([at(NOW, 'Error: one'), at(NOW + 1, '    at a()'), at(NOW + 2, 'Error: two', 'stderr'), at(NOW + 3, 'next'), at(NOW + 4, '    at b()', 'stderr')], never));
    await until('the open events at the peer', () => stored().length === 3);
    assert.deepEqual(peer.events(GROUP, ID).map((e) => [e.timestamp - NOW, e.message]).sort(),
      [[0, 'Error: one\n    at a()\n'], [2, 'Error: two\n    at b()\n'], [3, 'next\n']]);
  });

  it('awslogs-datetime-format starts an event at each line carrying the date', async () => {
    peer.createGroup(GROUP);
    const d = open({ 'awslogs-datetime-format': '%Y-%m-%d %H:%M:%S' });
    ok(await d.send([at(NOW, '2024-05-01 10:00:00 start'), at(NOW, 'detail'), at(NOW, '2024-05-01 10:00:01 again')], never));
    await d.close();
    assert.deepEqual(stored(), ['2024-05-01 10:00:00 start\ndetail\n', '2024-05-01 10:00:01 again\n']);
  });

  it('close() delivers what is still open, or counts it as lost when the peer is gone and the agent gives up', async () => {
    peer.createGroup(GROUP);
    const d = open({ 'awslogs-multiline-pattern': '^\\S' });
    ok(await d.send([at(NOW, 'A'), at(NOW, ' a1')], never));
    await d.close();
    assert.deepEqual(stored(), ['A\n a1\n']);

    const gone = open({ 'awslogs-multiline-pattern': '^\\S' });
    ok(await gone.send([at(NOW, 'B'), at(NOW, ' b1'), at(NOW, ' b2')], never));
    await peer.down();
    await gone.close(AbortSignal.timeout(500)); // the agent's shutdown gives up on it
    await peer.up();
    assert.equal(gone.rejections().lost, 3);
    assert.deepEqual(stored(), ['A\n a1\n']);
  });

  it('awslogs-format=json/emf sends the x-amzn-logs-format header', async () => {
    peer.createGroup(GROUP);
    ok(await open({ 'awslogs-format': 'json/emf' }).send([at(NOW, '{"_aws":{}}')], never));
    assert.equal(peer.callsOf('PutLogEvents')[0]!.headers['x-amzn-logs-format'], 'json/emf');
  });

  it('an answer that never comes is abandoned when the outlet aborts, and close() still returns', async () => {
    peer.createGroup(GROUP);
    const d = open();
    peer.inject('PutLogEvents', 'hang');
    const abort = new AbortController();
    const pending = d.send([at(NOW, 'hung')], abort.signal);
    await until('the call at the peer', () => peer.callsOf('PutLogEvents').length === 1);
    abort.abort();
    assert.equal((await pending).status, 'retry');
    await d.close();
    await peer.down(); // cut the hung request
    await peer.up();
  });

  it('answers fail for a call the service refuses, or counts only that call when others of the batch were stored', async () => {
    const strict = await CloudWatchPeer.start({ maxEventBytes: 1_000 });
    try {
      strict.createGroup(GROUP);
      const o = parseAwsLogsOptions({ 'awslogs-region': REGION, 'awslogs-endpoint': strict.endpoint, 'awslogs-group': GROUP }, {});
      const d = openAwsLogsDriver(o, ctx);
      const r = await d.send([at(NOW, 'small'), at(NOW + 1, 'z'.repeat(2_000))], never);
      assert.equal(r.status, 'fail');
      assert.match(r.status === 'fail' ? r.error.message : '', /PutLogEvents .*InvalidParameterException: Log event too large: 2026 bytes exceeds limit of 1000/);
      ok(await d.send([...lines(10_000, 'good'), at(NOW + 20_000, 'z'.repeat(2_000)), at(NOW + 20_001, 'same call')], never));
      assert.equal(strict.events(GROUP, ID).length, 10_000);
      assert.deepEqual(d.rejections().refused, 2);
      await d.close();
    } finally {
      await strict.close();
    }
  });

  it('answers fail when the service does not accept the credentials', async () => {
    peer.createGroup(GROUP);
    for (const [id, secret, error] of [[ACCESS_KEY_ID, 'wrong/secret/0001', 'InvalidSignatureException'], ['AKIAUNKNOWN', 'unknown/secret/0002', 'UnrecognizedClientException']] as const) {
      const saved = [process.env['AWS_ACCESS_KEY_ID'], process.env['AWS_SECRET_ACCESS_KEY']];
      process.env['AWS_ACCESS_KEY_ID'] = id;
      process.env['AWS_SECRET_ACCESS_KEY'] = secret;
      try {
        const r = await open().send([at(NOW, 'x')], never);
        assert.equal(r.status, 'fail');
        assert.match(r.status === 'fail' ? r.error.message : '', new RegExp(error));
        assert.ok(!(r.status === 'fail' && r.error.message.includes(secret)), 'the secret is never in an error');
      } finally {
        [process.env['AWS_ACCESS_KEY_ID'], process.env['AWS_SECRET_ACCESS_KEY']] = saved;
      }
    }
  });

  it('probe(): one DescribeLogStreams; explains a missing group, a peer that is down or silent', async () => {
    const opts = (extra: Record<string, string> = {}) =>
      parseAwsLogsOptions({ 'awslogs-region': REGION, 'awslogs-endpoint': peer.endpoint, 'awslogs-group': GROUP, ...extra }, {});
    await assert.rejects(awslogs.probe!(opts(), ctx, 2_000), /^Error: http:\/\/127\.0\.0\.1:\d+: DescribeLogStreams \(group "app".*ResourceNotFoundException: The specified log group does not exist/);
    await awslogs.probe!(opts({ 'awslogs-create-group': 'true' }), ctx, 2_000);
    peer.createGroup(GROUP);
    await awslogs.probe!(opts(), ctx, 2_000);
    assert.deepEqual(peer.calls.map((c) => c.operation), ['DescribeLogStreams', 'DescribeLogStreams', 'DescribeLogStreams']);
    peer.inject('DescribeLogStreams', 'hang');
    await assert.rejects(awslogs.probe!(opts(), ctx, 300), /^Error: http:\/\/127\.0\.0\.1:\d+: DescribeLogStreams/);
    await peer.down();
    await assert.rejects(awslogs.probe!(opts(), ctx, 2_000), /^Error: http:\/\/127\.0\.0\.1:\d+: DescribeLogStreams/);
    await peer.up();
  });
});

async function until(what: string, f: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
