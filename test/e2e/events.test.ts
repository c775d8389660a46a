import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, TestAgent, eventually } from '../helpers/cli';

describe('corral events', () => {
  const agent = new TestAgent(undefined, 'off', ['--hostname', 'ev-host']);
  before(() => agent.start());
  after(() => agent.stop());

  it('replays past events with --since/--until and filters them', async () => {
    const id = (await agent.run(['run', '-d', '--name', 'ev', '-l', 'tier=web', '--', 'sh', '-c', 'exit 2'])).stdout.trim();
    await agent.run(['wait', 'ev']);
    await eventually('die recorded', async () => (await agent.run(['events', '--since', '1m', '--until', '0s'])).stdout.includes(' die '));
    const json = (await agent.run(['events', '--since', '1m', '--until', '0s', '--format', 'json', '--filter', 'container=ev'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(json.map((e) => e.Action), ['create', 'start', 'die']);
    const die = json[2];
    assert.equal(die.Actor.ID, id);
    assert.deepEqual(die.Actor.Attributes, { exitCode: '2', host: 'ev-host', name: 'ev', tier: 'web' });
    assert.equal(die.Type, 'container');
    assert.match(die.timeNano, /^\d{19}$/);
    const text = (await agent.run(['events', '--since', '1m', '--until', '0s', '--filter', 'event=die', '--filter', 'label=tier=web'])).stdout.trim().split('\n');
    assert.equal(text.length, 1);
    assert.match(text[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z container die ${id} \\(exitCode=2, host=ev-host, name=ev, tier=web\\)$`));
    const bad = await agent.run(['events', '--filter', 'colour=red']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /--filter/);
  });

  it('streams live events until interrupted', async () => {
    const ev = spawn(process.execPath, [BIN, '--data-root', agent.root, 'events', '--filter', 'event=start'], { env: { ...process.env, CORRAL_NO_AUTOSTART: '1' } });
    let out = '';
    ev.stdout.on('data', (d) => (out += d));
    await new Promise((r) => setTimeout(r, 300));
    await agent.run(['run', '--rm', '--name', 'live', '--', 'true']);
    await eventually('start streamed', async () => out.includes('container start'));
    ev.kill('SIGINT');
    assert.match(out, /name=live/);
  });
});
