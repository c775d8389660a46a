import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestAgent } from '../helpers/cli';
import { PAD, agentRssKiB, sleep } from '../helpers/paced';
import { ACCESS_KEY_ID, CloudWatchPeer, SECRET_ACCESS_KEY } from '../helpers/peers/cloudwatch';
import { Behaviour, RawTcpServer } from '../helpers/peers/raw-tcp';

/**
 * Servers that accept and then misbehave (silent, garbage, slow, a hung HTTP endpoint): run,
 * stop and rm return (the CLI's own timeout fails the test otherwise), the agent stays up and
 * answers ps, and its memory stays bounded while a workload writes 5 MB at them.
 */

process.env['AWS_ACCESS_KEY_ID'] = ACCESS_KEY_ID;
process.env['AWS_SECRET_ACCESS_KEY'] = SECRET_ACCESS_KEY;
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

/** Generous: the agent idles near 100 MiB; a queue that grows without bound passes this quickly. */
const RSS_BOUND_KIB = 512 * 1024;
const CLI = { timeoutMs: 20_000 };
/** 50,000 lines of 100 bytes as fast as the pipe takes them, then a pause so the workload is still there to stop. */
const FLOOD = ['sh', '-c', `seq -f "n%06.0f ${PAD}" 0 49999; sleep 60`];

describe('remote log servers that accept and misbehave never hang or crash the agent', {
  concurrency: true, timeout: 180_000,
}, () => {
  const agent = new TestAgent();
  const servers: RawTcpServer[] = [];
  let cloudwatch: CloudWatchPeer;
  before(async () => {
    cloudwatch = await CloudWatchPeer.start();
    await agent.start();
  });
  after(async () => {
    // Whatever a failed test left running goes first: the agent's stop leaves workloads alive (live restore).
    const left = (await agent.run(['ps', '-a', '-q'], CLI).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
    if (left.length) await agent.run(['rm', '-f', ...left], { timeoutMs: 60_000 }).catch(() => undefined);
    await agent.stop();
    await Promise.all([cloudwatch?.close(), ...servers.map((s) => s.close())]);
  });

  async function server(b: Behaviour): Promise<RawTcpServer> {
    const s = await RawTcpServer.start(b);
    servers.push(s);
    return s;
  }

  /** Floods a detached workload (blocking and non-blocking) at the server, then checks the agent and the CLI. */
  async function survives(name: string, driver: string, opts: string[]): Promise<void> {
    const args = (n: string, ...extra: string[]) => ['--name', n, '--log-driver', driver, ...[...opts, ...extra].flatMap((o) => ['--log-opt', o])];
    for (const [n, extra] of [[`${name}-b`, []], [`${name}-nb`, ['mode=non-blocking']]] as const) {
      const r = await agent.run(['run', '-d', ...args(n, ...extra), '--', ...FLOOD], CLI);
      assert.equal(r.code, 0, `${n}: ${r.stderr}`);
    }
    const attached = await agent.run(['run', ...args(`${name}-a`), '--', 'sh', '-c', 'echo attached; exit 4'], CLI);
    assert.equal(attached.code, 4, `attached run returns with the workload's code: ${attached.stderr}`);
    await sleep(3000); // the flood meets the server
    const ps = await agent.run(['ps', '-a'], CLI);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`${name}-b`));
    assert.ok(agent.running, 'the agent is alive');
    const rss = agentRssKiB(agent);
    console.log(`# ${name}: agent RSS ${Math.round(rss / 1024)} MiB`);
    assert.ok(rss < RSS_BOUND_KIB, `agent RSS ${rss} KiB stays below ${RSS_BOUND_KIB} KiB`);
    assert.equal((await agent.run(['stop', '-t', '1', `${name}-b`], CLI)).code, 0);
    assert.equal((await agent.run(['rm', `${name}-b`, `${name}-a`], CLI)).code, 0);
    assert.equal((await agent.run(['rm', '-f', `${name}-nb`], CLI)).code, 0);
    assert.equal((await agent.run(['ps'], CLI)).code, 0, 'the agent still answers');
    assert.ok(agent.running, 'the agent is alive');
  }

  for (const b of ['silent', 'garbage', 'slow'] as const) {
    it(`fluentd: a server that is ${b} (with and without request-ack)`, { timeout: 90_000 }, async () => {
      const s = await server(b);
      await survives(`fl-${b}`, 'fluentd', [`fluentd-address=127.0.0.1:${s.port}`, 'fluentd-retry-wait=100ms']);
      await survives(`fla-${b}`, 'fluentd', [`fluentd-address=127.0.0.1:${s.port}`, 'fluentd-retry-wait=100ms', 'fluentd-request-ack=true']);
      assert.ok(s.connections > 0, 'the driver did reach the server');
    });
  }

  it('awslogs: an endpoint that hangs every PutLogEvents', { timeout: 90_000 }, async () => {
    cloudwatch.inject('PutLogEvents', ...new Array<'hang'>(10_000).fill('hang'));
    await survives('aw-hang', 'awslogs', ['awslogs-region=us-west-2', `awslogs-endpoint=${cloudwatch.endpoint}`, 'awslogs-group=corral', 'awslogs-create-group=true']);
    assert.ok(cloudwatch.callsOf('PutLogEvents').length > 0, 'the driver did reach the endpoint');
  });

  for (const b of ['silent', 'garbage'] as const) {
    it(`mongodb: a listener that is ${b}`, { timeout: 90_000 }, async () => {
      const s = await server(b);
      await survives(`mo-${b}`, 'mongodb', [`mongodb-uri=mongodb://127.0.0.1:${s.port}`]);
      assert.ok(s.connections > 0, 'the driver did reach the server');
    });
  }
});
