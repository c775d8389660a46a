import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { TestAgent, eventually } from '../helpers/cli';
import { ACCESS_KEY_ID, CloudWatchPeer, SECRET_ACCESS_KEY } from '../helpers/peers/cloudwatch';

// The agent inherits this environment: the SDK's default chain finds the keys there, as on a host.
process.env['AWS_ACCESS_KEY_ID'] = ACCESS_KEY_ID;
process.env['AWS_SECRET_ACCESS_KEY'] = SECRET_ACCESS_KEY;
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
delete process.env['AWS_REGION'];

/** A loopback port with nobody listening (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

describe('corral run --log-driver awslogs', () => {
  const agent = new TestAgent();
  let peer: CloudWatchPeer;
  const peers: CloudWatchPeer[] = [];
  before(async () => {
    peer = await CloudWatchPeer.start();
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    await Promise.all([peer, ...peers].map((p) => p.close()));
  });

  const opts = (endpoint: string, ...extra: string[]) =>
    ['--log-driver', 'awslogs', ...['awslogs-region=us-west-2', `awslogs-endpoint=${endpoint}`, 'awslogs-group=corral', 'awslogs-create-group=true', ...extra].flatMap((o) => ['--log-opt', o])];
  const idOf = async (name: string): Promise<string> => JSON.parse((await agent.run(['inspect', name])).stdout)[0].Id;

  it('stores stdout and stderr in the workload\'s stream; a long line is one event; inspect shows no credentials', async () => {
    const startMs = Date.now();
    const script = 'echo out; echo err >&2; head -c 40000 /dev/zero | tr "\\0" x; echo';
    const r = await agent.run(['run', '--name', 'aws', ...opts(peer.endpoint), '--', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'err\n');
    const id = await idOf('aws');
    const events = await eventually('the events at the peer', async () => { const e = peer.events('corral', id); return e.length === 3 && e; });
    assert.deepEqual(events.map((e) => e.message).sort(), ['err', 'out', 'x'.repeat(40_000)]);
    for (const e of events) assert.ok(e.timestamp >= startMs - 1000 && e.timestamp <= Date.now() + 1000, 'the line\'s time, in ms');
    const put = peer.callsOf('PutLogEvents')[0]!;
    assert.deepEqual([put.region, put.service, put.accessKeyId], ['us-west-2', 'logs', ACCESS_KEY_ID]);
    const inspect = (await agent.run(['inspect', 'aws'])).stdout;
    assert.equal(JSON.parse(inspect)[0].HostConfig.LogConfig.Type, 'awslogs');
    assert.doesNotMatch(inspect, new RegExp(`${ACCESS_KEY_ID}|${SECRET_ACCESS_KEY.replace(/\//g, '\\/')}`));
    const logs = await agent.run(['logs', 'aws']);
    assert.deepEqual([logs.stdout.slice(0, 4), logs.stderr], ['out\n', 'err\n'], 'corral logs reads the local cache');
  });

  it('joins multiline events and names the stream from awslogs-stream', async () => {
    const script = 'printf "E1 boom\\n  at a\\n  at b\\nE2 next\\n"';
    const r = await agent.run(['run', '--name', 'multi', ...opts(peer.endpoint, 'awslogs-multiline-pattern=^E\\d', 'awslogs-stream=multi-stream'), '--', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    const got = await eventually('two events', async () => { const e = peer.events('corral', 'multi-stream'); return e.length === 2 && e; });
    assert.deepEqual(got.map((e) => e.message), ['E1 boom\n  at a\n  at b\n', 'E2 next\n']);
  });

  it('bad options make run exit 125 naming the key', async () => {
    const cases: [string[], RegExp][] = [
      [['awslogs-group=g', 'awslogs-region=r', 'awslogs-grup=x'], /unknown log opt 'awslogs-grup' for awslogs log driver/],
      [['awslogs-region=r'], /must specify a value for log opt 'awslogs-group'/],
      [['awslogs-group=g'], /cannot determine region for awslogs driver/],
      [['awslogs-group=g', 'awslogs-region=r', 'awslogs-create-group=maybe'], /log opt 'awslogs-create-group'/],
      [['awslogs-group=g', 'awslogs-region=r', 'awslogs-force-flush-interval-seconds=0'], /log opt 'awslogs-force-flush-interval-seconds'/],
      [['awslogs-group=g', 'awslogs-region=r', 'awslogs-datetime-format=%Y', 'awslogs-multiline-pattern=^x'], /'awslogs-datetime-format' and 'awslogs-multiline-pattern' at the same time/],
      [['awslogs-group=g', 'awslogs-region=r', 'awslogs-format=text'], /unsupported log format 'text'/],
    ];
    for (const [o, text] of cases) {
      const r = await agent.run(['run', '--name', 'bad', '--log-driver', 'awslogs', ...o.flatMap((x) => ['--log-opt', x]), '--', 'true']);
      assert.equal(r.code, 125, `${o.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, text);
    }
    assert.doesNotMatch((await agent.run(['ps', '-a'])).stdout, /\bbad\b/);
  });

  it('with no endpoint, or one that never answers, run, stop and rm return; once it answers the lines arrive', async () => {
    const port = await closedPort();
    const down = `http://127.0.0.1:${port}`;
    const attached = await agent.run(['run', '--name', 'down-attached', ...opts(down), '--', 'sh', '-c', 'echo held; exit 3'], { timeoutMs: 20_000 });
    assert.equal(attached.code, 3, `run exits with the workload's code: ${attached.stderr}`);
    assert.match(attached.stderr, /log driver awslogs: server not reachable: http:\/\/127\.0\.0\.1:\d+: DescribeLogStreams/);
    const d = await agent.run(['run', '-d', '--name', 'down-detached', ...opts(down), '--', 'sh', '-c', 'echo early; echo early-err >&2; sleep 60'], { timeoutMs: 20_000 });
    assert.equal(d.code, 0, d.stderr);
    assert.equal((await agent.run(['stop', '-t', '1', 'down-detached'], { timeoutMs: 20_000 })).code, 0);
    assert.equal((await agent.run(['rm', 'down-detached'], { timeoutMs: 20_000 })).code, 0);

    const silent = await CloudWatchPeer.start();
    peers.push(silent);
    for (const op of ['DescribeLogStreams', 'CreateLogStream', 'CreateLogGroup', 'PutLogEvents'] as const) silent.inject(op, ...Array<'hang'>(50).fill('hang'));
    const h = await agent.run(['run', '-d', '--name', 'silent', ...opts(silent.endpoint), '--', 'sh', '-c', 'echo unheard; sleep 60'], { timeoutMs: 20_000 });
    assert.equal(h.code, 0, h.stderr);
    assert.equal((await agent.run(['rm', '-f', 'silent'], { timeoutMs: 20_000 })).code, 0);
    silent.heal();
    await silent.down(); // cuts the calls left hanging
    await silent.up();
    await eventually('the line held while the endpoint was silent', async () => silent.allEvents('corral').map((e) => e.message).join() === 'unheard', 1500);

    const late = await CloudWatchPeer.start({ port });
    peers.push(late);
    const got = await eventually('the lines held while the endpoint was down', async () => {
      const all = late.allEvents('corral').map((e) => e.message);
      return ['held', 'early', 'early-err'].every((w) => all.includes(w)) && all;
    }, 1500);
    assert.equal(got.length, 3, 'each line once');
  });
});
