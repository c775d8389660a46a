import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeFile, lineOf, loadFile, projectName } from '../../agent/compose/load';
import { ComposeError } from '../../agent/compose/problems';
import { shellWords } from '../../agent/compose/shellwords';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-compose-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function problemLines(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ComposeError, String(e));
    assert.equal(e.exitCode, 125);
    return e.message.split('\n');
  }
  assert.fail('expected a ComposeError');
}

describe('corral.yaml: reading', () => {
  it('finds the line of a key, a list item, and the nearest parent of a missing key', () => {
    const file = write('lines.yaml', 'workloads:\n  web:\n    command: [a, b]\n    resources:\n      memory: 12q\n    logging:\n      - driver: fluentd\n      - driver: json-file\n');
    const l = loadFile(file, 'lines.yaml');
    assert.equal(lineOf(l, ['workloads', 'web', 'resources', 'memory']), 5);
    assert.equal(lineOf(l, ['workloads', 'web', 'logging', 1, 'driver']), 8);
    assert.equal(lineOf(l, ['workloads', 'web', 'resources', 'cpus']), 4);
    assert.equal(lineOf(l, []), 1);
  });

  it('reports YAML syntax errors and duplicate keys with file and line', () => {
    assert.deepEqual(problemLines(() => loadFile(write('dup.yaml', 'workloads:\n  a: {command: x}\n  a: {command: y}\n'), 'dup.yaml')), ['dup.yaml:3: Map keys must be unique']);
    const [syntax] = problemLines(() => loadFile(write('syn.yaml', 'workloads:\n  a: [\n  b: 1\n'), 'syn.yaml'));
    assert.match(syntax!, /^syn\.yaml:3: /);
    assert.deepEqual(problemLines(() => loadFile(path.join(dir, 'none.yaml'), 'none.yaml')), ['none.yaml: no such file (give another with -f FILE or CORRAL_CONFIG)']);
  });

  it('takes -f, then CORRAL_CONFIG (or CORRAL_FILE), then ./corral.yaml, then <etc>/corral.yaml; the project is the directory name unless -p', () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
    const etc = fs.mkdtempSync(path.join(dir, 'etc-'));
    const env = { CORRAL_ETC: etc };
    assert.throws(() => composeFile(undefined, env, cwd), new RegExp(`no such file: looked for ${cwd}/corral.yaml or ${etc}/corral.yaml`));
    fs.writeFileSync(path.join(etc, 'corral.yaml'), 'workloads: {}\n');
    assert.deepEqual(composeFile(undefined, env, cwd), { file: path.join(etc, 'corral.yaml'), display: path.join(etc, 'corral.yaml'), from: 'etc' });
    fs.writeFileSync(path.join(cwd, 'corral.yaml'), 'workloads: {}\n');
    assert.deepEqual(composeFile(undefined, env, cwd), { file: path.join(cwd, 'corral.yaml'), display: 'corral.yaml', from: 'cwd' });
    assert.equal(composeFile(undefined, { ...env, CORRAL_FILE: '/x/old.yaml' }, cwd).file, '/x/old.yaml');
    assert.equal(composeFile(undefined, { ...env, CORRAL_FILE: '/x/old.yaml', CORRAL_CONFIG: 'new.yaml' }, cwd).file, path.join(cwd, 'new.yaml'));
    assert.deepEqual(composeFile('y.yaml', { ...env, CORRAL_CONFIG: 'new.yaml' }, cwd), { file: path.join(cwd, 'y.yaml'), display: 'y.yaml', from: '-f' });
    assert.equal(projectName(undefined, '/srv/My App.v2/corral.yaml'), 'myappv2');
    assert.equal(projectName('shop', '/srv/x/corral.yaml'), 'shop');
    assert.throws(() => projectName('...', '/x/corral.yaml'), /give one with -p NAME/);
  });
});

describe('shell words', () => {
  it('splits as a shell would, without expanding anything', () => {
    assert.deepEqual(shellWords('node server.js --port 8080'), ['node', 'server.js', '--port', '8080']);
    assert.deepEqual(shellWords(`sh -c 'echo "$HOME"; exit 3'`), ['sh', '-c', 'echo "$HOME"; exit 3']);
    assert.deepEqual(shellWords(`a "b \\"c\\" \\$d \\x" e\\ f '' ""`), ['a', 'b "c" $d \\x', 'e f', '', '']);
    assert.deepEqual(shellWords('a | b\\\n c'), ['a', '|', 'b', 'c']);
    assert.deepEqual(shellWords('  '), []);
    assert.throws(() => shellWords(`echo 'x`), /unterminated single quote/);
    assert.throws(() => shellWords('echo "x'), /unterminated double quote/);
    assert.throws(() => shellWords('echo \\'), /lone backslash/);
  });
});
