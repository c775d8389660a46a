import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, TestAgent } from '../helpers/cli';

describe('corral completion', () => {
  const agent = new TestAgent();
  let script = '';
  let binDir = '';
  before(async () => {
    await agent.start();
    script = path.join(agent.root, 'corral.bash');
    fs.writeFileSync(script, (await agent.run(['completion', 'bash'])).stdout);
    // `corral` on PATH, talking to the test's agent, as the script calls it for workload names.
    binDir = path.join(agent.root, 'bin');
    fs.mkdirSync(binDir);
    fs.writeFileSync(path.join(binDir, 'corral'), `#!/bin/sh\nexec ${process.execPath} ${BIN} --data-root ${agent.root} "$@"\n`, { mode: 0o755 });
  });
  after(() => agent.stop());

  /** What bash offers after the words (the last one is being completed). */
  function complete(...words: string[]): string[] {
    const r = spawnSync('bash', ['-c', `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _corral; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { encoding: 'utf8', env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, CORRAL_NO_AUTOSTART: '1' } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('completes commands, subcommands, each command\'s options and workload names', async () => {
    assert.equal(spawnSync('bash', ['-n', script]).status, 0, 'valid bash');
    assert.deepEqual(complete('corral', 'ru'), ['run']);
    assert.deepEqual(complete('corral', 'system', ''), ['info', 'df', 'prune']);
    assert.deepEqual(complete('corral', 'logs', '--ta'), ['--tail']);
    assert.ok(complete('corral', 'run', '--me').includes('--memory'));
    await agent.run(['run', '-d', '--name', 'webapp', '--', 'sleep', '30']);
    await agent.run(['run', '--name', 'worker', '--', 'true']);
    assert.deepEqual(complete('corral', 'logs', '-f', 'we'), ['webapp']);
    assert.deepEqual(complete('corral', 'stop', 'w').sort(), ['webapp', 'worker']);
    const zsh = await agent.run(['completion', 'zsh']);
    assert.match(zsh.stdout, /bashcompinit/);
    const bad = await agent.run(['completion', 'fish']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /expected bash or zsh/);
  });
});
