import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestAgent, eventually } from '../helpers/cli';

describe('corral run', () => {
  const agent = new TestAgent();
  before(() => agent.start());
  after(() => agent.stop());

  it('attached: streams stdout and stderr and exits with the workload code', async () => {
    const r = await agent.run(['run', '--rm', '--name', 'once', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, 'oops\n');
    // --rm: gone once it exited
    await eventually('auto-removal', async () => !(await agent.run(['ps', '-a', '--format', 'json'])).stdout.includes('"once"'));
  });

  it('detached: prints the 64-hex id; wait, logs and inspect see it', async () => {
    const r = await agent.run(['run', '-d', '--name', 'det', '-l', 'team=a', '--', 'sh', '-c', 'echo one; echo two']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal((await agent.run(['wait', 'det'])).stdout, '0\n');
    assert.equal((await agent.run(['logs', id.slice(0, 8)])).stdout, 'one\ntwo\n');
    const ts = (await agent.run(['logs', '--tail', '1', '-t', 'det'])).stdout;
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z two\n$/);
    const [info] = JSON.parse((await agent.run(['inspect', 'det'])).stdout);
    assert.equal(info.Id, id);
    assert.equal(info.Name, '/det');
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.ExitCode, 0);
    assert.equal(info.State.Running, false);
    assert.deepEqual(info.Config.Labels, { team: 'a' });
    assert.equal(info.HostConfig.LogConfig.Type, 'json-file');
    assert.equal(info.LogPath, path.join(agent.root, 'containers', id, `${id}-json.log`));
    assert.equal(info.LogStats.Sent, 2);
  });

  it('exit 127 for a command that is not found, 126 for one that cannot be executed', async () => {
    const nf = await agent.run(['run', '--rm', '--', 'no-such-command-here']);
    assert.equal(nf.code, 127);
    assert.match(nf.stderr, /executable file not found in \$PATH/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-noexec-'));
    const script = path.join(dir, 'script.sh');
    fs.writeFileSync(script, '#!/bin/sh\necho no\n', { mode: 0o644 });
    const ne = await agent.run(['run', '--rm', '--', script]);
    assert.equal(ne.code, 126);
    assert.match(ne.stderr, /permission denied/);
    fs.rmSync(dir, { recursive: true });
  });

  it('runs as the user given with -u, with -e, --env-file and -w', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-env-'));
    const envFile = path.join(dir, 'vars');
    fs.writeFileSync(envFile, '# comment\nFROM_FILE=yes\n\nBOTH=file\n');
    const r = await agent.run(['run', '--rm', '-u', 'nobody', '-e', 'A=1', '--env-file', envFile, '-e', 'BOTH=flag', '-w', dir,
      '--', 'sh', '-c', 'echo "$(id -u) $A $FROM_FILE $BOTH $(pwd)"']);
    assert.equal(r.code, 0, r.stderr);
    const nobody = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':')[2];
    assert.equal(r.stdout, `${nobody} 1 yes flag ${dir}\n`);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses bad input with exit 125 and a message naming the flag, creating nothing', async () => {
    const before = (await agent.run(['ps', '-a', '-q'])).stdout;
    const cases: [string[], RegExp][] = [
      [['--restart', 'sometimes'], /restart policy/],
      [['--restart', 'on-failure:x'], /maximum retry count/],
      [['--name', '-bad'], /Invalid container name \(-bad\)/],
      [['--log-opt', 'max-size=big'], /max-size/],
      [['--log-opt', 'colour=red'], /unknown log opt 'colour' for json-file log driver/],
      [['--log-opt', 'max-file=0', '--log-opt', 'max-size=1m'], /max-file cannot be less than 1/],
      [['--log-opt', 'compress=true'], /compress cannot be true/],
      [['--log-opt', 'mode=fast'], /mode/],
      [['--log-opt', 'max-buffer-size=1m'], /max-buffer-size/],
      [['--log-driver', 'carrier-pigeon'], /no log driver named 'carrier-pigeon'/],
      [['--log-opt', 'novalue'], /--log-opt: expected key=value/],
      [['-u', 'no-such-user-x'], /unable to find user no-such-user-x/],
      [['--rm', '--restart', 'always'], /Conflicting options/],
      [['--no-such-flag'], /unknown option '--no-such-flag'/],
    ];
    for (const [flags, msg] of cases) {
      const r = await agent.run(['run', '-d', ...flags, '--', 'true']);
      assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg, flags.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${flags.join(' ')}`);
    }
    assert.equal((await agent.run(['ps', '-a', '-q'])).stdout, before);
    const unknown = await agent.run(['inspect', 'no-such-workload']);
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /No such container: no-such-workload/);
  });

  it('names are unique', async () => {
    assert.equal((await agent.run(['create', '--name', 'dup', '--', 'true'])).code, 0);
    const r = await agent.run(['create', '--name', 'dup', '--', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /The container name "\/dup" is already in use/);
    assert.equal((await agent.run(['rm', 'dup'])).code, 0);
  });
});
