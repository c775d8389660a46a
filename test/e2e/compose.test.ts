import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { BIN, RunResult, TestAgent, eventually } from '../helpers/cli';

const V1 = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') && process.getuid?.() === 0;
const skip = V1 ? false : 'needs root and cgroup v1 memory/pids controllers';
const MiB = 1024 * 1024;

const FILE = `defaults:
  logging: { driver: json-file, options: { max-size: 10m, max-file: "3" } }
workloads:
  web:
    command: ["sh", "-c", "echo web PORT=$PORT; exec sleep 1000"]
    env: { PORT: "8080" }
    restart: unless-stopped
    resources: { memory: 64m, pids-limit: 50 }
  worker:
    command: sh -c 'echo worker up; exec sleep 1000'
    replicas: 3
`;

describe('corral up / down / config', { skip }, () => {
  const agent = new TestAgent();
  // The project is named after the file's directory.
  const dir = path.join(agent.root, 'shop');
  const spawned = new Set<ReturnType<typeof spawn>>();
  before(async () => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'corral.yaml'), FILE);
    await agent.start();
  });
  after(async () => {
    for (const p of spawned) p.kill('SIGKILL');
    await agent.stop();
  });

  /** The CLI run from the project's directory, as a user types `corral up`. */
  function inDir(args: string[]): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, '--data-root', agent.root, ...args], { cwd: dir, env: { ...process.env, CORRAL_NO_AUTOSTART: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }
  const edit = (from: string, to: string) => {
    const file = path.join(dir, 'corral.yaml');
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.includes(from), `corral.yaml has ${from}`);
    fs.writeFileSync(file, text.replace(from, to));
  };
  async function state(): Promise<Record<string, { id: string; pid: number; running: boolean; labels: Record<string, string> }>> {
    const ids = (await agent.run(['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (!ids.length) return {};
    const all = JSON.parse((await agent.run(['inspect', '--no-redact', ...ids])).stdout) as { Id: string; Name: string; State: { Pid: number; Running: boolean }; Config: { Labels: Record<string, string> } }[];
    return Object.fromEntries(all.map((w) => [w.Name.slice(1), { id: w.Id, pid: w.State.Pid, running: w.State.Running, labels: w.Config.Labels }]));
  }
  const memLimit = (id: string) => Number(fs.readFileSync(`/sys/fs/cgroup/memory/${agent.cgroupParent}/${id}/memory.limit_in_bytes`, 'utf8'));

  it('up -d creates every workload, replicas numbered, labelled with the project', async () => {
    assert.equal((await agent.run(['run', '-d', '--name', 'bystander', '--', 'sleep', '1000'])).code, 0);
    const r = await inDir(['up', '-d']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^web: created$/m);
    const s = await state();
    assert.deepEqual(Object.keys(s).sort(), ['bystander', 'web', 'worker-1', 'worker-2', 'worker-3']);
    for (const n of ['web', 'worker-1', 'worker-2', 'worker-3']) assert.ok(s[n]!.running, `${n} runs`);
    assert.equal(s['worker-2']!.labels['corral.project'], 'shop');
    assert.equal(s['worker-2']!.labels['corral.service'], 'worker');
    assert.match(s['web']!.labels['corral.config-hash']!, /^[0-9a-f]{64}$/);
    assert.equal(memLimit(s['web']!.id), 64 * MiB);
    const ps = (await agent.run(['ps'])).stdout;
    for (const n of ['web', 'worker-1', 'worker-2', 'worker-3']) assert.match(ps, new RegExp(` ${n}$`, 'm'));
  });

  it('up again with nothing changed leaves everything alone', async () => {
    const before = await state();
    const r = await inDir(['up', '-d']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^web: up to date$/m);
    assert.deepEqual(await state(), before);
  });

  it('a memory change is applied live: same workload, same pid, new cgroup limit', async () => {
    const before = await state();
    edit('memory: 64m', 'memory: 96m');
    const r = await inDir(['up', '-d']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^web: updated live \(memory, memory-swap\)$/m);
    const after = await state();
    assert.deepEqual(after, before, 'no workload was replaced or restarted');
    assert.equal(memLimit(after['web']!.id), 96 * MiB);
  });

  it('an env change recreates only that workload', async () => {
    const before = await state();
    edit('PORT: "8080"', 'PORT: "9090"');
    const r = await inDir(['up', '-d']);
    assert.equal(r.code, 0, r.stderr);
    const after = await state();
    assert.notEqual(after['web']!.id, before['web']!.id);
    for (const n of ['worker-1', 'worker-2', 'worker-3', 'bystander']) assert.deepEqual(after[n], before[n], `${n} untouched`);
    await eventually('the new web printed its env', async () => (await agent.run(['logs', 'web'])).stdout === 'web PORT=9090\n');
  });

  it('replicas 3 -> 1 removes worker-2 and worker-3', async () => {
    const before = await state();
    edit('replicas: 3', 'replicas: 1');
    const r = await inDir(['up', '-d']);
    assert.equal(r.code, 0, r.stderr);
    const after = await state();
    assert.deepEqual(Object.keys(after).sort(), ['bystander', 'web', 'worker-1']);
    assert.deepEqual(after['worker-1'], before['worker-1']);
  });

  it('config prints the merged file', async () => {
    const r = await inDir(['config']);
    assert.equal(r.code, 0, r.stderr);
    const c = parse(r.stdout);
    assert.deepEqual(c.workloads.web.logging, { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
    assert.deepEqual(c.workloads.worker.command, ['sh', '-c', 'echo worker up; exec sleep 1000']);
    assert.deepEqual(c.workloads.web.env, { PORT: '9090' });
    assert.equal(c.workloads.worker.workdir, dir);
    assert.equal(c.workloads.worker.replicas, 1);
  });

  it('a bad file fails with exit 125, naming file, line and key, and changes nothing', async () => {
    const before = await state();
    const good = fs.readFileSync(path.join(dir, 'corral.yaml'), 'utf8');
    // web's change is valid, worker's limit is not: neither is applied.
    edit('PORT: "9090"', 'PORT: "7070"');
    edit("replicas: 1", "replicas: 1\n    resources: { memory: 12q }");
    const r = await inDir(['up', '-d']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `corral.yaml:12: workloads.worker.resources.memory: invalid argument "12q" for "-m, --memory" flag: invalid size: '12q'\n`);
    assert.deepEqual(await state(), before);
    edit('    resources: { memory: 12q }', '    resourses: { memory: 12m }');
    const typo = await inDir(['config']);
    assert.equal(typo.code, 125);
    assert.equal(typo.stderr, 'corral.yaml:12: workloads.worker.resourses: unknown key "resourses" (did you mean "resources"?)\n');
    fs.writeFileSync(path.join(dir, 'corral.yaml'), good);
  });

  it('reports every workload the agent refuses, each at the key (or the default) at fault', async () => {
    fs.writeFileSync(path.join(dir, 'bad.yaml'), `defaults:
  logging: { driver: json-file, options: { max-size: 10q } }
workloads:
  api:
    command: [x]
    restart: sometimes
    user: nobody-such-user
  db:
    command: [x]
    resources: { memory: 64m, memory-swap: 32m }
`);
    const r = await inDir(['up', '-d', '-f', 'bad.yaml']);
    assert.equal(r.code, 125);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 4, r.stderr);
    assert.match(lines[0]!, /^bad\.yaml:2: defaults\.logging\.options\.max-size: invalid value "10q" for log opt max-size: /);
    assert.match(lines[1]!, /^bad\.yaml:6: workloads\.api\.restart: invalid restart policy format: unknown policy "sometimes"/);
    assert.match(lines[2]!, /^bad\.yaml:7: workloads\.api\.user: unable to find user nobody-such-user/);
    assert.equal(lines[3], 'bad.yaml:10: workloads.db.resources.memory-swap: Minimum memoryswap limit should be larger than memory limit, see usage');
    assert.deepEqual(Object.keys(await state()).sort(), ['bystander', 'web', 'worker-1'], 'nothing created');
  });

  it('up without -d follows the logs, prefixed; Ctrl-C stops the workloads', async () => {
    const child = spawn(process.execPath, [BIN, '--data-root', agent.root, 'up'], { cwd: dir, env: { ...process.env, CORRAL_NO_AUTOSTART: '1' } });
    spawned.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    edit('exec sleep 1000"]', 'echo web again; exec sleep 1000"]');
    await eventually('web\'s output, prefixed', async () => out.includes('web      | web again\n'));
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    spawned.delete(child);
    const s = await state();
    assert.equal(s['web']!.running, false);
    assert.equal(s['worker-1']!.running, false);
    assert.equal(s['bystander']!.running, true);
  });

  it('down removes the project\'s workloads and nothing else', async () => {
    const r = await inDir(['down']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(await state()), ['bystander']);
    const again = await inDir(['down']);
    assert.equal(again.code, 0, again.stderr);
  });
});
