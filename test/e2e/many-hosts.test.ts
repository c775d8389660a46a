import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestAgent, eventually } from '../helpers/cli';
import { FluentdPeer } from '../helpers/peers/fluentd';
import { MongoPeer } from '../helpers/peers/mongodb';
import { freePort } from '../helpers/net';

/**
 * The fleet setup of dashboards/README.md on one machine: two agents (own data roots, own
 * metrics ports, --hostname h1 / h2) shipping the same workload name to one fluentd and one MongoDB.
 */
describe('many hosts: two agents, one fluentd, one MongoDB', () => {
  const HOSTS = ['h1', 'h2'] as const;
  const agents = new Map<string, { agent: TestAgent; metrics: string }>();
  let fluentd: FluentdPeer;
  let mongo: MongoPeer;

  before(async () => {
    // The shared-key handshake makes each agent name its host to fluentd.
    fluentd = await FluentdPeer.start({ sharedKey: 'fleet' });
    mongo = await MongoPeer.start();
    for (const host of HOSTS) {
      const port = await freePort();
      const agent = new TestAgent(undefined, `127.0.0.1:${port}`, ['--hostname', host]);
      agents.set(host, { agent, metrics: `http://127.0.0.1:${port}/metrics` });
      await agent.start();
    }
  });
  after(async () => {
    for (const { agent } of agents.values()) await agent.stop();
    await Promise.all([fluentd?.close(), mongo?.close()]);
  });

  const ids = new Map<string, string>();

  it('both hosts\' lines reach both peers, each marked with its host', async () => {
    for (const host of HOSTS) {
      const { agent } = agents.get(host)!;
      const r = await agent.run(['run', '--name', 'web', '--log-driver', 'fluentd', '--log-driver', 'mongodb',
        '--log-opt', `fluentd:fluentd-address=${fluentd.address}`, '--log-opt', 'fluentd:fluentd-shared-key=fleet',
        '--log-opt', `mongodb:mongodb-uri=${mongo.uri}`, '--', 'sh', '-c', `echo ${host}-one; echo ${host}-two`]);
      assert.equal(r.code, 0, r.stderr);
      ids.set(host, JSON.parse((await agent.run(['inspect', 'web'])).stdout)[0].Id);
    }

    const events = await eventually('4 lines at fluentd', async () => fluentd.events.length >= 4 && fluentd.events);
    assert.deepEqual(events.map((e) => `${e.record['container_id']} ${e.record['log']}`).sort(),
      HOSTS.flatMap((h) => [`${ids.get(h)} ${h}-one`, `${ids.get(h)} ${h}-two`]).sort());
    assert.ok(events.every((e) => e.record['container_name'] === '/web'), JSON.stringify(events.map((e) => e.record['container_name'])));
    assert.deepEqual([...new Set(fluentd.handshakes.filter((h) => h.accepted).map((h) => h.clientHostname))].sort(), ['h1', 'h2']);

    const docs = await eventually('4 documents in MongoDB', async () => {
      const got = mongo.documents('corral', 'logs');
      return got.length >= 4 && got;
    });
    assert.deepEqual(docs.map((d) => `${d['host']} ${d['container_name']} ${d['container_id']} ${d['log']}`).sort(),
      HOSTS.flatMap((h) => [`${h} web ${ids.get(h)} ${h}-one`, `${h} web ${ids.get(h)} ${h}-two`]).sort());
  });

  it('logs --from mongodb --host reads one host\'s workload of that name', async () => {
    const { agent } = agents.get('h1')!;
    const logs = (args: string[]) => agent.run(['logs', '--from', 'mongodb', '--mongodb-uri', mongo.uri, ...args]);
    for (const host of HOSTS) {
      const r = await logs(['--host', host, 'web']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${host}-one\n${host}-two\n`);
    }
    assert.equal((await logs(['--host', 'h2', ids.get('h2')!.slice(0, 12)])).stdout, 'h2-one\nh2-two\n');
    assert.equal((await logs(['--host', 'h2', '--tail', '1', 'web'])).stdout, 'h2-two\n');
    const other = await logs(['--host', 'h2', ids.get('h1')!.slice(0, 12)]);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /No such container: .* from host h2/);
    const all = await logs(['--host', 'h1']);
    assert.equal(all.stdout, 'h1-one\nh1-two\n');
    const noStore = await agent.run(['logs', '--host', 'h2', 'web']);
    assert.notEqual(noStore.code, 0);
    assert.match(noStore.stderr, /--host needs --from mongodb/);
  });

  it('each agent labels every series and event with its own host', async () => {
    for (const host of HOSTS) {
      const { agent, metrics } = agents.get(host)!;
      const text = await eventually(`${host}'s web sampled as exited`, async () => {
        const body = await (await fetch(metrics)).text();
        return body.includes(`corral_workload_state{name="web",host="${host}",state="exited"} 1`) && body;
      });
      const series = text.split('\n').filter((l) => l && !l.startsWith('#'));
      assert.ok(series.length > 10);
      assert.deepEqual(series.filter((l) => !l.includes(`host="${host}"`)), []);
      const events = (await agent.run(['events', '--since', '5m', '--until', '0s', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(events.length >= 3);
      assert.deepEqual([...new Set(events.map((e) => e.Actor.Attributes.host))], [host]);
      assert.equal(JSON.parse((await agent.run(['system', 'info', '--format', 'json'])).stdout).Hostname, host);
    }
  });
});
