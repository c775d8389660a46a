import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestAgent, eventually } from '../helpers/cli';
import { freePort } from '../helpers/net';

// The real Debian Prometheus and Alertmanager scrape a private agent with a few workloads,
// load dashboards/prometheus/*.yml, and route alerts to a webhook in this process. Proves that
// the OOM alert reaches a receiver and that every rule and dashboard query works on real data.

const DASHBOARDS = path.join(__dirname, '..', '..', '..', 'dashboards');
const RULES = path.join(DASHBOARDS, 'prometheus');
const PROMETHEUS = '/usr/bin/prometheus';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

function skipReason(): string | false {
  if (process.getuid?.() !== 0 || !fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs')) return 'needs root and cgroup v1 controllers';
  for (const bin of [PROMETHEUS, ALERTMANAGER]) {
    if (!fs.existsSync(bin)) return `${bin} missing: apt-get install prometheus prometheus-alertmanager`;
  }
  if (spawnSync('python3', ['-c', '']).status !== 0) return 'python3 missing (the OOM workload allocates with it)';
  return false;
}

/** A server process with its output in a log file; stop() ends it (SIGKILL if SIGTERM is not enough). */
class Daemon {
  private readonly proc: ChildProcess;
  constructor(bin: string, args: string[], readonly logFile: string) {
    const fd = fs.openSync(logFile, 'a');
    this.proc = spawn(bin, args, { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
  }

  get running(): boolean { return this.proc.exitCode === null && this.proc.signalCode === null; }

  log(): string { return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n'); }

  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const force = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  }
}

/** Waits for GET url to answer 2xx; fails with the daemon's log if it dies first. */
async function ready(d: Daemon, url: string): Promise<void> {
  await eventually(`${url} ready`, async () => {
    if (!d.running) throw new Error(`exited before ready:\n${d.log()}`);
    return (await fetch(url).catch(() => undefined))?.ok;
  }, 200, 50);
}

/**
 * The whole disk under dir as "/dev/vda", or undefined (tmpfs, overlay...). On kernels since 6.10
 * cgroup v1 counts block I/O only on a disk with a throttle rule, so the busy workload gets one.
 */
function diskOf(dir: string): string | undefined {
  const dev = fs.statSync(dir).dev;
  const [major, minor] = [(dev >>> 8) & 0xfff, (dev & 0xff) | ((dev >>> 12) & 0xfff00)];
  try {
    let sys = fs.realpathSync(`/sys/dev/block/${major}:${minor}`);
    if (fs.existsSync(path.join(sys, 'partition'))) sys = path.dirname(sys);
    const name = /^DEVNAME=(.+)$/m.exec(fs.readFileSync(path.join(sys, 'uevent'), 'utf8'))?.[1];
    return name && fs.existsSync(`/dev/${name}`) ? `/dev/${name}` : undefined;
  } catch {
    return undefined;
  }
}

interface QueryResult { status: string; error?: string; data?: { resultType: string; result: unknown[] } }

interface Alert { status: string; labels: Record<string, string>; annotations: Record<string, string> }

/** The `expr:` lines of a rules file (one line each in ours), with the rule they belong to. */
function rules(file: string): { rule: string; expr: string }[] {
  const text = fs.readFileSync(path.join(RULES, file), 'utf8');
  return [...text.matchAll(/-\s+(?:record|alert):\s*(\S+)\s*\n\s*expr:\s*(.+)/g)].map((m) => ({ rule: m[1]!, expr: m[2]! }));
}

/** Panel targets and annotation queries of a Grafana dashboard, with where they come from. */
function dashboardQueries(file: string): { where: string; expr: string; annotation: boolean }[] {
  const d = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, 'grafana', file), 'utf8'));
  const panels = (d.panels as any[]).flatMap((p) => [p, ...(p.panels ?? [])]);
  return [
    ...panels.flatMap((p) => (p.targets ?? []).map((t: any) => ({ where: `${file} "${p.title}" ${t.refId}`, expr: t.expr as string, annotation: false }))),
    ...(d.annotations.list as any[]).filter((a) => a.expr).map((a) => ({ where: `${file} annotation "${a.name}"`, expr: a.expr as string, annotation: true })),
  ];
}

/** What Grafana would send: template variables replaced by concrete values. */
function substitute(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (all, v: string) => vars[v] ?? all);
}

describe('Prometheus and Alertmanager on corral\'s metrics, rules and dashboards', { skip: skipReason() }, () => {
  let tmp = '';
  const received: Alert[] = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        received.push(...(JSON.parse(body) as { alerts: Alert[] }).alerts);
        res.end('ok\n');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  let agent: TestAgent | undefined;
  const daemons: Daemon[] = [];
  let prom = '';
  let disk: string | undefined;

  async function query(expr: string): Promise<QueryResult> {
    const res = await fetch(`${prom}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    return (await res.json()) as QueryResult;
  }

  /** Polls a query until it returns samples (data arrives scrape by scrape); returns the last answer. */
  async function samples(expr: string, tries = 40): Promise<QueryResult> {
    let last: QueryResult = { status: 'none' };
    for (let i = 0; i < tries; i++) {
      last = await query(expr);
      if (last.status !== 'success' || last.data!.result.length > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return last;
  }

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-prom-'));
    const [metricsPort, amPort, promPort, hookPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    await new Promise<void>((r) => hook.listen(hookPort, '127.0.0.1', () => r()));
    agent = new TestAgent(undefined, `127.0.0.1:${metricsPort}`, ['--hostname', 'prom-host']);
    await agent.start();

    // Alertmanager: one webhook receiver, groups sent after a second.
    fs.mkdirSync(path.join(tmp, 'am'));
    fs.writeFileSync(path.join(tmp, 'alertmanager.yml'), JSON.stringify({
      route: { receiver: 'hook', group_by: ['alertname', 'name'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{ name: 'hook', webhook_configs: [{ url: `http://127.0.0.1:${hookPort}/alerts`, send_resolved: false }] }],
    }));
    const am = new Daemon(ALERTMANAGER, [`--config.file=${path.join(tmp, 'alertmanager.yml')}`, `--storage.path=${path.join(tmp, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address='], path.join(tmp, 'alertmanager.log'));
    daemons.push(am);

    // Prometheus: job corral every second, both rule files, alerts to the Alertmanager above.
    fs.writeFileSync(path.join(tmp, 'prometheus.yml'), JSON.stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [path.join(RULES, 'rules.yml'), path.join(RULES, 'alerts.yml')],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: [{ job_name: 'corral', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] }],
    }));
    prom = `http://127.0.0.1:${promPort}`;
    const p = new Daemon(PROMETHEUS, [`--config.file=${path.join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(tmp, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`], path.join(tmp, 'prometheus.log'));
    daemons.push(p);
    await ready(am, `http://127.0.0.1:${amPort}/-/ready`);
    await ready(p, `${prom}/-/ready`);
    // Ready is not scraping: the first scrape comes some seconds later. Workloads start after it,
    // so every counter's first sample is its starting value and increase() sees each event.
    await eventually('first scrape of the agent', async () => (await query('up{job="corral"} == 1')).data?.result.length, 400, 50);

    const run = async (args: string[]) => {
      const r = await agent!.run(['run', '-d', ...args]);
      assert.equal(r.code, 0, r.stderr);
    };
    // CPU-bound under a 0.5 CPU quota (throttled), with limits, a label, block I/O and lines on both streams.
    disk = diskOf(tmp);
    const io = disk ? ['--device-write-bps', `${disk}:100mb`] : [];
    await run(['--name', 'busy', '-l', 'team=core', '--cpus', '0.5', '-m', '64m', '--pids-limit', '50', ...io, '-w', path.join(tmp, 'busy'), '--', 'sh', '-c',
      'dd if=/dev/zero of=io.bin bs=64k count=16 oflag=direct; while :; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo tick; echo tock >&2; done']);
    // A child is OOM-killed after a few scrapes; the workload itself lives on.
    await run(['--name', 'hog', '-m', '32m', '--', 'sh', '-c', 'sleep 3; python3 -c "b = bytearray(200 * 1024 * 1024)"; sleep 300']);
    // Its main process is the one OOM-killed, so the workload exits (137).
    await run(['--name', 'oomdie', '-m', '32m', '--', 'python3', '-c', 'import time; time.sleep(3); b = bytearray(200 * 1024 * 1024)']);
    await run(['--name', 'looper', '--restart', 'always', '--', 'sh', '-c', 'echo crash; exit 1']);
    await run(['--name', 'brief', '--', 'sh', '-c', 'sleep 3; exit 3']);
    await run(['--name', 'idle', '--', 'sleep', '300']);
  });

  after(async () => {
    await Promise.allSettled(daemons.map((d) => d.stop()));
    await agent?.stop();
    await new Promise((r) => hook.close(r));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const firing = (alertname: string, name: string) =>
    received.some((a) => a.status === 'firing' && a.labels.alertname === alertname && a.labels.name === name);

  it('delivers WorkloadOOMKilled for the OOM-killed workload to the webhook, and none for workloads without a kill', async () => {
    await eventually('WorkloadOOMKilled{name="hog"} at the webhook', async () => firing('WorkloadOOMKilled', 'hog'), 450, 200);
    const oom = received.filter((a) => a.labels.alertname === 'WorkloadOOMKilled');
    assert.deepEqual(oom.map((a) => a.labels.name).filter((n) => n !== 'hog' && n !== 'oomdie'), []);
    const hog = oom.find((a) => a.labels.name === 'hog')!;
    assert.equal(hog.labels.severity, 'warning');
    assert.match(hog.labels.id!, new RegExp(`^/${agent!.cgroupParent}/[0-9a-f]{64}$`));
    assert.equal(hog.annotations.summary, 'hog had a process OOM-killed');
  });

  it('counts the OOM kill of a workload whose main process was killed', async () => {
    await eventually('oomdie seen exited', async () => (await query('corral_workload_state{name="oomdie",state="exited"} == 1')).data?.result.length, 450, 200);
    const r = await samples('max_over_time(container_oom_events_total{name="oomdie"}[5m]) > 0', 12);
    assert.equal(r.data?.result.length, 1, 'the kill is in Prometheus');
    await eventually('WorkloadOOMKilled{name="oomdie"} at the webhook', async () => firing('WorkloadOOMKilled', 'oomdie'), 450, 200);
  });

  it('delivers WorkloadCrashLooping for the crash-looping workload and WorkloadExitedUnexpectedly for the one that exited', async () => {
    await eventually('WorkloadCrashLooping{name="looper"} at the webhook', async () => firing('WorkloadCrashLooping', 'looper'), 450, 200);
    await eventually('WorkloadExitedUnexpectedly{name="brief"} at the webhook', async () => firing('WorkloadExitedUnexpectedly', 'brief'), 450, 200);
  });

  it('evaluates every rule of rules.yml and alerts.yml without error', async () => {
    const body = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const loaded = body.data.groups.flatMap((g) => g.rules);
    assert.deepEqual(loaded.map((r) => r.name).sort(), [...rules('rules.yml'), ...rules('alerts.yml')].map((r) => r.rule).sort());
    assert.deepEqual(loaded.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError}`), []);
  });

  it('every recording rule returns data, as expression and as recorded series', async () => {
    const empty: string[] = [];
    for (const { rule, expr } of rules('rules.yml')) {
      for (const q of [expr, rule]) {
        const r = await samples(q);
        assert.equal(r.status, 'success', `${q}: ${r.error}`);
        if (r.data!.result.length === 0) empty.push(q);
      }
    }
    assert.deepEqual(empty, []);
  });

  it('every alert expression is accepted by the query API', async () => {
    for (const { rule, expr } of rules('alerts.yml')) {
      const r = await query(expr);
      assert.equal(r.status, 'success', `${rule}: ${expr}: ${r.error}`);
    }
  });

  it('every dashboard query returns data for its workload(s), and the workload picker lists them', async () => {
    const intervals = { __rate_interval: '1m', __interval: '1m', __range: '5m' };
    const vars: Record<string, Record<string, string>> = { 'fleet.json': { ...intervals, host: '.+', name: '.+' }, 'workload.json': { ...intervals, host: 'prom-host', name: 'busy' } };
    const empty: string[] = [];
    for (const file of Object.keys(vars)) {
      for (const { where, expr, annotation } of dashboardQueries(file)) {
        const q = substitute(expr, vars[file]!);
        // Annotations mark events (often none); without a disk to throttle (see diskOf) no block I/O is counted.
        const mayBeEmpty = annotation || (!disk && /container_(fs|blkio)_/.test(q));
        const r = mayBeEmpty ? await query(q) : await samples(q);
        assert.equal(r.status, 'success', `${where}: ${q}: ${r.error}`);
        if (!mayBeEmpty && r.data!.result.length === 0) empty.push(`${where}: ${q}`);
      }
    }
    assert.deepEqual(empty, []);
    // label_values(corral_workload_state, name), as Grafana asks for it.
    const res = await fetch(`${prom}/api/v1/label/name/values?${new URLSearchParams({ 'match[]': 'corral_workload_state' })}`);
    const names = ((await res.json()) as { data: string[] }).data;
    assert.deepEqual(names.sort(), ['brief', 'busy', 'hog', 'idle', 'looper', 'oomdie']);
    // label_values(corral_workload_state, host): the host picker.
    const hosts = await fetch(`${prom}/api/v1/label/host/values?${new URLSearchParams({ 'match[]': 'corral_workload_state' })}`);
    assert.deepEqual(((await hosts.json()) as { data: string[] }).data, ['prom-host']);
  });

  it('shows what was set and what happened on the workload dashboard\'s panels', async () => {
    const d = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, 'grafana', 'workload.json'), 'utf8'));
    const panels = (d.panels as any[]).flatMap((p) => [p, ...(p.panels ?? [])]);
    /** What a panel's target shows for a workload now: "label=value,...=sample" per series (id and host aside). */
    const show = async (type: string, title: string, refId: string, name: string): Promise<string[]> => {
      const t = panels.find((p) => p.type === type && p.title === title).targets.find((x: any) => x.refId === refId);
      const r = await samples(substitute(t.expr, { host: 'prom-host', name, __rate_interval: '1m' }));
      return (r.data!.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => {
        const labels = Object.entries(s.metric).filter(([k]) => !['__name__', 'id', 'host', 'instance', 'job'].includes(k)).map(([k, v]) => `${k}=${v}`);
        return `${labels.join(',')}=${s.value[1]}`;
      });
    };
    const seen = (expr: string) => async () => (await query(expr)).data?.result.length;
    await eventually('brief exited', seen('corral_workload_state{name="brief",state="exited"} == 1'), 450, 200);
    await eventually('hog OOM-killed', seen('container_oom_events_total{name="hog"} == 1'), 450, 200);
    assert.deepEqual(await show('timeseries', 'CPU vs limit', 'D', 'busy'), ['name=busy=0.5']);
    assert.deepEqual(await show('timeseries', 'Memory vs limit', 'D', 'busy'), [`=${64 * 1024 * 1024}`]);
    assert.deepEqual(await show('timeseries', 'Processes vs limit', 'B', 'busy'), ['=50']);
    assert.deepEqual(await show('table', 'Limits', 'D', 'busy'), ['name=busy=0.5']);
    assert.deepEqual(await show('table', 'Limits', 'D', 'idle'), ['name=idle=0']);
    assert.match((await show('table', 'Labels', 'A', 'busy')).join(), /container_label_team=core/);
    assert.deepEqual(await show('stat', 'State', 'A', 'brief'), ['state=exited=1']);
    assert.deepEqual(await show('stat', 'OOM kills', 'A', 'hog'), ['=1']);
    assert.deepEqual(await show('stat', 'OOM kills', 'A', 'busy'), ['=0']);
    const throttled = await show('timeseries', 'CPU throttling', 'A', 'busy');
    assert.ok(Number(throttled[0]?.split('=').pop()) > 0, `busy is throttled under --cpus 0.5: ${throttled}`);
  });
});
