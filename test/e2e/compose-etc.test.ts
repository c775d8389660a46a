import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, RunResult, TestAgent } from '../helpers/cli';

const workload = (name: string) => `workloads:\n  ${name}:\n    command: sleep 1\n`;

/** Which file up/down/config take with no -f: ./corral.yaml, else <etc>/corral.yaml; CORRAL_CONFIG over both. */
describe('corral.yaml lookup: ./corral.yaml, then /etc/corral/corral.yaml (CORRAL_ETC in tests)', () => {
  const agent = new TestAgent();
  const cwd = path.join(agent.root, 'project');
  const etc = path.join(agent.root, 'etc-corral');
  before(async () => {
    fs.mkdirSync(cwd);
    fs.mkdirSync(etc);
    await agent.start();
  });
  after(() => agent.stop());

  /** The CLI run in cwd with the /etc of this test, as a user types it. */
  function inCwd(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, '--data-root', agent.root, ...args], { cwd, env: { ...process.env, CORRAL_NO_AUTOSTART: '1', CORRAL_ETC: etc, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('error', reject);
      child.once('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
    });
  }
  const configFileLine = async () => (await inCwd(['system', 'info'])).stdout.split('\n').find((l) => l.startsWith('Config file:'));

  it('with neither file, up, down and config fail naming both places; system info says none', async () => {
    for (const verb of ['config', 'up', 'down']) {
      const r = await inCwd([verb]);
      assert.equal(r.code, 125, verb);
      assert.equal(r.stderr, `corral.yaml: no such file: looked for ${cwd}/corral.yaml or ${etc}/corral.yaml (give one with -f FILE or CORRAL_CONFIG)\n`, verb);
    }
    assert.equal(await configFileLine(), `Config file:       none (looked for ${cwd}/corral.yaml, ${etc}/corral.yaml)`);
  });

  it('takes /etc/corral/corral.yaml when the directory has none', async () => {
    fs.writeFileSync(path.join(etc, 'corral.yaml'), workload('frometc'));
    const r = await inCwd(['config']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^# project etc-corral, from ${etc}/corral.yaml\nworkloads:\n  frometc:`));
    assert.equal(await configFileLine(), `Config file:       ${etc}/corral.yaml`);
  });

  it('prefers ./corral.yaml, and CORRAL_CONFIG over both', async () => {
    fs.writeFileSync(path.join(cwd, 'corral.yaml'), workload('fromcwd'));
    assert.match((await inCwd(['config'])).stdout, /^# project project, from .*\nworkloads:\n {2}fromcwd:/);
    assert.equal(await configFileLine(), `Config file:       ${cwd}/corral.yaml`);
    fs.writeFileSync(path.join(agent.root, 'other.yaml'), workload('fromenv'));
    const env = { CORRAL_CONFIG: path.join(agent.root, 'other.yaml') };
    assert.match((await inCwd(['config'], env)).stdout, /\n {2}fromenv:/);
    const info = JSON.parse((await inCwd(['system', 'info', '--format', 'json'], env)).stdout);
    assert.equal(info.ConfigFile, env.CORRAL_CONFIG);
    // A file named outright that is missing is an error about it, never a fallback to another.
    const missing = await inCwd(['config'], { CORRAL_CONFIG: 'nope.yaml' });
    assert.equal(missing.code, 125);
    assert.equal(missing.stderr, 'nope.yaml: no such file (give another with -f FILE or CORRAL_CONFIG)\n');
  });
});
