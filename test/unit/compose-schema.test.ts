import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadFile } from '../../agent/compose/load';
import { LABEL, Project, buildProject, instances } from '../../agent/compose/model';
import { configText } from '../../agent/compose/print';
import { ComposeError } from '../../agent/compose/problems';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-compose-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function project(text: string, name = 'corral.yaml'): Project {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return buildProject(loadFile(file, name), 'demo');
}

function problems(text: string): string[] {
  try {
    project(text);
  } catch (e) {
    assert.ok(e instanceof ComposeError, String(e));
    return e.message.split('\n');
  }
  assert.fail('the file was accepted');
}

const EXAMPLE = `defaults:
  logging: { driver: json-file, options: { max-size: 10m, max-file: "3" } }
  env: { LANG: C.UTF-8 }
workloads:
  web:
    command: ["node", "server.js"]
    workdir: /srv/web
    env: { PORT: "8080" }
    restart: unless-stopped
    resources: { memory: 256m, cpus: 1.5, pids-limit: 200, device-write-bps: ["/dev/vda:20mb"] }
    logging: { driver: fluentd, options: { fluentd-address: "127.0.0.1:24224" } }
  worker:
    command: ./worker --queue 'jobs high'
    env: [QUEUE=jobs, "X=a=b"]
    replicas: 3
    logging: { options: { max-file: 5 } }
`;

describe('corral.yaml: shape and merge', () => {
  it('folds defaults into each workload and turns it into create requests', () => {
    const p = project(EXAMPLE);
    const [web, worker] = p.services;
    assert.deepEqual(web!.request.logDriver, ['fluentd'], 'a different driver replaces the default logging');
    assert.deepEqual(web!.request.logOpts, { 'fluentd-address': '127.0.0.1:24224' });
    assert.deepEqual(web!.request.env, ['LANG=C.UTF-8', 'PORT=8080']);
    assert.deepEqual(web!.request.resources, { memory: '256m', cpus: '1.5', 'pids-limit': '200', 'device-write-bps': ['/dev/vda:20mb'] });
    assert.equal(web!.request.restart, 'unless-stopped');
    assert.deepEqual([worker!.request.path, ...worker!.request.args!], ['./worker', '--queue', 'jobs high']);
    assert.equal(worker!.request.workingDir, dir, 'the file\'s directory by default');
    assert.deepEqual(worker!.request.env, ['LANG=C.UTF-8', 'QUEUE=jobs', 'X=a=b']);
    assert.deepEqual(worker!.request.logOpts, { 'max-size': '10m', 'max-file': '5' }, 'same driver: options merge');
    const names = instances(p).map((i) => i.name);
    assert.deepEqual(names, ['web', 'worker-1', 'worker-2', 'worker-3']);
    const w2 = instances(p)[2]!;
    assert.equal(w2.request.labels![LABEL.project], 'demo');
    assert.equal(w2.request.labels![LABEL.service], 'worker');
    assert.match(w2.request.labels![LABEL.hash]!, /^[0-9a-f]{64}$/);
  });

  it('scopes options driver:key with several drivers', () => {
    const p = project('workloads:\n  a:\n    command: [x]\n    logging:\n      - { driver: fluentd, options: { tag: t } }\n      - { driver: json-file, options: { max-size: 1m } }\n');
    assert.deepEqual(p.services[0]!.request.logDriver, ['fluentd', 'json-file']);
    assert.deepEqual(p.services[0]!.request.logOpts, { 'fluentd:tag': 't', 'json-file:max-size': '1m' });
  });

  it('hashes what needs a new workload, not the limits nor the order of map keys', () => {
    const hash = (t: string) => project(t).services[0]!.hash;
    const base = hash('workloads:\n  a: { command: [x], env: { A: "1", B: "2" }, resources: { memory: 64m } }\n');
    assert.equal(hash('workloads:\n  a: { command: [x], env: { B: "2", A: "1" }, resources: { memory: 64m } }\n'), base);
    assert.equal(hash('workloads:\n  a: { command: [x], env: { A: "1", B: "2" }, resources: { memory: 96m } }\n'), base);
    assert.notEqual(hash('workloads:\n  a: { command: [x], env: { A: "1", B: "3" } }\n'), base);
    assert.notEqual(hash('workloads:\n  a: { command: [x, y], env: { A: "1", B: "2" } }\n'), base);
  });

  it('names file, line and key of every mistake, with "did you mean"', () => {
    assert.deepEqual(problems(`workloads:
  web:
    comand: [node]
    resources: { memory: 1g, pids_limit: 3, cpus: [1] }
    replicas: -1
  db:
    command: 5
    env: { A: [1] }
    logging: { driver: json-file, opts: {} }
    restart: false
  x:
    command: run
    user: 1.5
    lables: []
`), [
      'corral.yaml:2: workloads.web.command: is required',
      'corral.yaml:3: workloads.web.comand: unknown key "comand" (did you mean "command"?)',
      'corral.yaml:4: workloads.web.resources.cpus: expected a string or a number, got a list',
      'corral.yaml:4: workloads.web.resources.pids_limit: unknown key "pids_limit" (did you mean "pids-limit"?)',
      'corral.yaml:5: workloads.web.replicas: must be at least 0',
      'corral.yaml:7: workloads.db.command: expected a string or a list, got 5',
      'corral.yaml:8: workloads.db.env.A: expected a string, a number, true/false or nothing, got a list',
      'corral.yaml:9: workloads.db.logging.opts: unknown key "opts" (did you mean "options"?)',
      'corral.yaml:10: workloads.db.restart: expected a string, got false',
      'corral.yaml:13: workloads.x.user: expected a string or a whole number, got 1.5',
      'corral.yaml:14: workloads.x.lables: unknown key "lables" (did you mean "labels"?)',
    ]);
    assert.deepEqual(problems('workload:\n  a: { command: x }\n'), [
      'corral.yaml:1: workloads: is required',
      'corral.yaml:1: workload: unknown key "workload" (did you mean "workloads"?)',
    ]);
    assert.deepEqual(problems('workloads:\n  a: { command: x, frobnicate: 1 }\n').length, 1);
    assert.match(problems('workloads:\n  a: { command: x, frobnicate: 1 }\n')[0]!, /unknown key "frobnicate" \(accepted: command, workdir, env, env-file, user, labels, restart, resources, logging, replicas\)$/);
  });

  it('checks what the shape cannot: words of a command, reserved labels, env files, clashing names', () => {
    assert.deepEqual(problems(`workloads:
  api:
    command: "node 'app.js"
  x1:
    command: run
    labels: { corral.project: x }
    env-file: missing.env
  worker:
    command: run
    replicas: 2
  worker-2:
    command: run
`), [
      "corral.yaml:3: workloads.api.command: cannot split it into words: unterminated single quote",
      'corral.yaml:6: workloads.x1.labels.corral.project: labels starting with "corral." are corral up\'s own',
      `corral.yaml:7: workloads.x1.env-file: open ${dir}/missing.env: no such file or directory (--env-file)`,
      'corral.yaml:11: workloads.worker-2: its workload "worker-2" has the same name as one of "worker"',
    ]);
  });

  it('config prints the merged file, which reads back as the same project', () => {
    fs.writeFileSync(path.join(dir, 'app.env'), 'FROM_FILE=1\n# comment\n');
    const p = project(EXAMPLE.replace('replicas: 3', 'replicas: 3\n    env-file: app.env'));
    const text = configText(p);
    const printed = parse(text);
    assert.deepEqual(printed.workloads.worker.env, { LANG: 'C.UTF-8', FROM_FILE: '1', QUEUE: 'jobs', X: 'a=b' });
    assert.deepEqual(printed.workloads.worker.command, ['./worker', '--queue', 'jobs high']);
    assert.equal(printed.workloads.web.logging.driver, 'fluentd');
    assert.equal(printed.defaults, undefined);
    const again = project(text, 'printed.yaml');
    assert.deepEqual(again.services.map((s) => s.hash), p.services.map((s) => s.hash));
  });
});
