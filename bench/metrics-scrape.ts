/**
 * What GET /metrics costs at 10, 100 and 1000 workloads, and the agent's CPU while it samples
 * that many real cgroups at 1 Hz. Goals: <= 20 ms per scrape and < 5% of one core at 1000.
 *
 * Scrape (synthetic snapshots through the Sampler interface, every value changing each round;
 * median ms per render, the same snapshot for every row of a round, gc() before each):
 *   corral         MetricsExporter.render(), Prometheus text and OpenMetrics
 *   HTTP           GET /metrics through agent/metrics/server.ts on loopback, until the last
 *                  body byte arrives (the client runs in this process too)
 *   serializer     prom-client's Registry over the same rows made once, nothing to collect:
 *                  the floor for an exporter that keeps prom-client's text output
 *   naive          prom-client as its README uses it: reset, set()/inc() every sample with a
 *                  fresh label object, registry.metrics() (split: updates + rendering)
 *   hand-written   the same text built straight from the snapshot, every row's label text
 *                  cached per workload
 * Every rendering is checked byte for byte against the others.
 *
 * CPU: N cgroups made through openCgroups() like the agent (under corral-bench-<pid>, removed
 * afterwards), a sleeping process in each unless --no-procs, sampled by the agent's
 * IntervalSampler at 1 Hz; process.cpuUsage() over --seconds as % of one core; then again with
 * a 1 Hz OOM watcher per cgroup, as the supervisor runs them.
 *
 *   bench/metrics-scrape [--rounds 30] [--sizes 10,100,1000] [--only scrape|cpu] [--seconds 10] [--no-procs]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, Gauge, Registry, RegistryContentType } from 'prom-client';
import { deviceName, labelName, MetricsExporter } from '../agent/metrics/exporter';
import { BLKIO_FAMILY, CORRAL_FAMILIES, DEVICE_FAMILIES, FamilyDef, LAST_SEEN_FAMILY, SAMPLE_FAMILIES, WORKLOAD_STATES } from '../agent/metrics/families';
import { serveMetrics } from '../agent/metrics/server';
import { CgroupHandle, CgroupStats, Limits, NO_LIMITS, OomWatcher, openCgroups, watchOom } from '../engine/cgroups';
import { WallClock } from '../engine/logs/clock';
import { IntervalSampler, SampleSource } from '../engine/sampler';
import { Sampler, Snapshot, WorkloadSample } from '../engine/snapshot';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const ROUNDS = Number(arg('--rounds') ?? 30);
const SIZES = (arg('--sizes') ?? '10,100,1000').split(',').map(Number);
const SECONDS = Number(arg('--seconds') ?? 10);
const ONLY = arg('--only');
const PROCS = !process.argv.includes('--no-procs');

// ---- synthetic workloads ---------------------------------------------------------------------

type Describe = Omit<WorkloadSample, 'stats' | 'cgroupPath'>;

/** The parts of a workload that stay put between passes (the supervisor's spec), as the agent has them. */
interface Fake {
  id: string;
  name: string;
  cgroupPath: string;
  labels: Record<string, string>;
  limits: Limits;
  running: boolean;
  devices: Array<[number, number]>;
  drivers: string[];
}

function fakes(n: number): Fake[] {
  return Array.from({ length: n }, (_, i) => {
    const id = createHash('sha256').update(`bench-${i}`).digest('hex');
    return {
      id, name: `svc-${i}`, cgroupPath: `/corral/${id}`,
      labels: { team: ['core', 'web', 'data', 'ops'][i % 4]!, app: `app-${i % 37}`, ...(i % 10 === 0 ? { 'com.example.tier': 'backend' } : {}) },
      limits: i % 3 === 0 ? { ...NO_LIMITS, memory: 64 << 20, nanoCpus: 5e8 } : NO_LIMITS,
      running: i % 20 !== 19, // one in twenty exited: corral_* only
      devices: i % 4 === 0 ? [[254, 0], [7, 0]] : [[254, 0]],
      drivers: i % 10 === 0 ? ['json-file', 'fluentd'] : ['json-file'],
    };
  });
}

/** What Supervisor.describe() gives the sampler: fresh counters, the spec's own labels and limits. */
function describe(f: Fake, i: number, r: number): Describe {
  const grow = (k: number) => r * k + i * 7 + k;
  return {
    id: f.id, name: f.name, labels: f.labels, state: f.running ? 'running' : 'exited', restartCount: i % 7 === 0 ? 1 : 0,
    oomKillCount: i % 50 === 0 ? 1 : 0, startedAt: f.running ? 1_700_000_000.123 + i : 0, limits: f.limits,
    logs: {
      messages: { stdout: grow(100), stderr: grow(3) }, bytes: grow(9000),
      drivers: f.drivers.map((driver) => ({ driver, sent: grow(103), dropped: { 'buffer-full': i % 9 === 0 ? grow(1) : 0, 'send-failed': 0, closed: 0 }, errors: 0, retries: i % 10 === 0 ? r : 0, queuedBytes: (r * 977 + i) % 65536 })),
    },
  };
}

function stats(f: Fake, i: number, r: number): CgroupStats {
  const mem = 20e6 + ((i * 7919 + r * 104729) % 5e7);
  return {
    cpu: { usageNs: 987_654_321 + i * 123_456_789 + r * 13_000_117, userNs: 600_000_000 + r * 9_000_013, systemNs: 300_000_000 + r * 4_000_007, periods: r * 10, throttledPeriods: i % 3 === 0 ? r : 0, throttledNs: i % 3 === 0 ? r * 1_234_567 : 0 },
    memory: { usage: mem, workingSet: mem - 4096 * (i % 100), rss: mem / 2, cache: mem / 4, swap: 0, maxUsage: mem + 1e6, limit: f.limits.memory, failcnt: 0, oomEvents: null, oomKills: i % 50 === 0 ? 1 : 0 },
    io: { devices: f.devices.map(([major, minor]) => ({ major, minor, readBytes: r * 4096 + i, writeBytes: r * 8192, reads: r, writes: r * 2 })) },
    pids: { current: 1 + (i % 5), limit: null },
  };
}

/** The Sampler interface over synthetic passes: advance() makes the next one, every value changed. */
class SyntheticSampler implements Sampler {
  private last: Snapshot | undefined;
  private round = 0;
  constructor(private readonly all: Fake[]) { this.advance(); }
  latest() { return this.last; }
  previous() { return undefined; }
  subscribe() { return () => undefined; }
  stop() { /* nothing runs */ }

  advance(): Snapshot {
    const r = ++this.round;
    const workloads = this.all.map((f, i) => ({ ...describe(f, i, r), cgroupPath: f.cgroupPath, stats: f.running ? stats(f, i, r) : null }));
    this.last = { time: BigInt(1_700_000_000_000 + r * 1000) * 1_000_000n, systemCpuNs: r * 2e9, onlineCpus: 2, workloads, durationSeconds: 0.000_123 * (1 + (r % 7)), errors: r % 3 };
    return this.last;
  }
}

// ---- peers -------------------------------------------------------------------------------------

const counterValue = (v: number) => (v > 0 ? v : 0);
const usable = (v: number | null | undefined): v is number => v != null && Number.isFinite(v);

/** prom-client as most exporters use it: one Counter/Gauge per family, set() with fresh label objects each scrape. */
class NaivePromClient {
  readonly registry = new Registry<RegistryContentType>();
  readonly metrics = new Map<string, Counter | Gauge>();
  private readonly devices = new Map<string, string>();

  constructor(private readonly keys: string[]) {
    const base = ['id', 'name', ...keys];
    const add = (f: FamilyDef, labelNames: string[]) => {
      const opts = { name: f.name, help: f.help, labelNames, registers: [this.registry] };
      this.metrics.set(f.name, f.type === 'counter' ? new Counter(opts) : new Gauge(opts));
    };
    for (const f of SAMPLE_FAMILIES) add(f, [...base, ...Object.keys(f.extra ?? {})]);
    for (const f of DEVICE_FAMILIES) add({ ...f, type: 'counter' }, [...base, 'device']);
    add(BLKIO_FAMILY, [...base, 'device', 'major', 'minor', 'operation']);
    add(LAST_SEEN_FAMILY, base);
    const c = CORRAL_FAMILIES;
    add(c.restarts, ['name']); add(c.state, ['name', 'state']); add(c.messages, ['name', 'stream']); add(c.logBytes, ['name']);
    add(c.dropped, ['name', 'driver', 'reason']); add(c.driverErrors, ['driver']); add(c.driverRetries, ['driver']);
    add(c.queueBytes, ['name', 'driver']); add(c.samplerDuration, []); add(c.samplerErrors, []);
  }

  private set(name: string, labels: Record<string, string>, v: number | null | undefined): void {
    if (!usable(v)) return;
    const m = this.metrics.get(name)!;
    if (m instanceof Counter) m.inc(labels, counterValue(v)); else m.set(labels, v);
  }

  update(snap: Snapshot): void {
    for (const m of this.metrics.values()) m.reset();
    const seen = Number(snap.time / 1_000_000n) / 1000;
    for (const w of snap.workloads) {
      if (!w.stats) continue;
      const base: Record<string, string> = { id: w.cgroupPath, name: w.name };
      for (const k of this.keys) base[k] = '';
      for (const [k, v] of Object.entries(w.labels)) base[labelName(k)] = v;
      for (const f of SAMPLE_FAMILIES) this.set(f.name, { ...base, ...f.extra }, f.value(w));
      for (const d of w.stats.io.devices) {
        const device = deviceName(d.major, d.minor, this.devices);
        for (const f of DEVICE_FAMILIES) this.set(f.name, { ...base, device }, d[f.key]);
        for (const [operation, v] of [['Read', d.readBytes], ['Write', d.writeBytes]] as const) {
          this.set(BLKIO_FAMILY.name, { ...base, device, major: String(d.major), minor: String(d.minor), operation }, v);
        }
      }
      this.set(LAST_SEEN_FAMILY.name, base, seen);
    }
    const c = CORRAL_FAMILIES;
    const perDriver = new Map<string, { errors: number; retries: number }>();
    for (const w of snap.workloads) {
      this.set(c.restarts.name, { name: w.name }, w.restartCount);
      for (const state of WORKLOAD_STATES) this.set(c.state.name, { name: w.name, state }, state === w.state ? 1 : 0);
      this.set(c.messages.name, { name: w.name, stream: 'stdout' }, w.logs.messages.stdout);
      this.set(c.messages.name, { name: w.name, stream: 'stderr' }, w.logs.messages.stderr);
      this.set(c.logBytes.name, { name: w.name }, w.logs.bytes);
      for (const d of w.logs.drivers) {
        for (const [reason, n] of Object.entries(d.dropped)) this.set(c.dropped.name, { name: w.name, driver: d.driver, reason }, n);
        this.set(c.queueBytes.name, { name: w.name, driver: d.driver }, d.queuedBytes);
        const t = perDriver.get(d.driver) ?? { errors: 0, retries: 0 };
        t.errors += d.errors;
        t.retries += d.retries;
        perDriver.set(d.driver, t);
      }
    }
    for (const [driver, t] of perDriver) { this.set(c.driverErrors.name, { driver }, t.errors); this.set(c.driverRetries.name, { driver }, t.retries); }
    this.set(c.samplerDuration.name, {}, snap.durationSeconds);
    this.set(c.samplerErrors.name, {}, snap.errors);
  }
}

const escapeValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const pairs = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}="${escapeValue(v)}"`).join(',');

type Value = number | null | undefined;

/** One workload's label text, and the `name{labels} ` of each of its rows per family, made when it first shows up or changes. */
interface Cached {
  w: WorkloadSample;
  base: string;
  name: string;
  /** What the prefixes were made for: devices (major, minor), and each driver with its drop reasons. */
  devices: number[];
  drivers: string[];
  prefixes: string[][];
}

/** A family as the hand-written formatter sees it: per workload, row prefixes (made once) apart from values (every scrape). */
type HandFamily = { def: FamilyDef; running: boolean; prefixes(c: Cached): string[]; values(w: WorkloadSample, out: Value[]): void }
  | { def: FamilyDef; global(snap: Snapshot): Array<[string, Value]> };

const shapeOf = (w: WorkloadSample) => ({
  devices: (w.stats?.io.devices ?? []).flatMap((d) => [d.major, d.minor]),
  drivers: w.logs.drivers.map((d) => `${d.driver}:${Object.keys(d.dropped).join('/')}`),
});
const sameNumbers = (a: number[], devices: Array<{ major: number; minor: number }>) =>
  a.length === devices.length * 2 && devices.every((d, i) => a[2 * i] === d.major && a[2 * i + 1] === d.minor);
const sameDrivers = (a: string[], drivers: WorkloadSample['logs']['drivers']) =>
  a.length === drivers.length && drivers.every((d, i) => a[i] === `${d.driver}:${Object.keys(d.dropped).join('/')}`);

/** Prometheus text written by hand, every row's label text cached: the floor for a string formatter in JS. */
class HandWritten {
  private readonly cache = new Map<string, Cached>();
  private readonly devices = new Map<string, string>();
  private readonly families: HandFamily[];
  private seen = 0;

  constructor(private readonly keys: string[]) {
    this.families = this.define();
  }

  private resolve(w: WorkloadSample): Cached {
    let c = this.cache.get(w.id);
    const same = c && c.w.name === w.name && c.w.cgroupPath === w.cgroupPath && c.w.labels === w.labels
      && sameNumbers(c.devices, w.stats?.io.devices ?? []) && sameDrivers(c.drivers, w.logs.drivers);
    if (!c || !same) {
      const base: Record<string, string> = { id: w.cgroupPath, name: w.name };
      for (const k of this.keys) base[k] = '';
      for (const [k, v] of Object.entries(w.labels)) base[labelName(k)] = v;
      c = { w, base: pairs(base), name: `name="${escapeValue(w.name)}"`, ...shapeOf(w), prefixes: [] };
      this.cache.set(w.id, c);
    }
    c.w = w;
    return c;
  }

  private define(): HandFamily[] {
    const p = (f: FamilyDef, labels: string) => `${f.name}{${labels}} `;
    const devs = (w: WorkloadSample) => w.stats!.io.devices;
    const dev = (d: { major: number; minor: number }) => `device="${deviceName(d.major, d.minor, this.devices)}"`;
    const c = CORRAL_FAMILIES;
    const perDriver = (snap: Snapshot, key: 'errors' | 'retries') => {
      const totals = new Map<string, number>();
      for (const w of snap.workloads) for (const d of w.logs.drivers) totals.set(d.driver, (totals.get(d.driver) ?? 0) + d[key]);
      return [...totals].map(([d, v]): [string, Value] => [`driver="${d}"`, v]);
    };
    return [
      ...SAMPLE_FAMILIES.map((f): HandFamily => ({
        def: f, running: true, prefixes: (x) => [p(f, f.extra ? `${x.base},${pairs(f.extra)}` : x.base)], values: (w, out) => { out.push(f.value(w)); },
      })),
      ...DEVICE_FAMILIES.map((f): HandFamily => {
        const def: FamilyDef = { ...f, type: 'counter' };
        return { def, running: true, prefixes: (x) => devs(x.w).map((d) => p(def, `${x.base},${dev(d)}`)), values: (w, out) => { for (const d of devs(w)) out.push(d[f.key]); } };
      }),
      {
        def: BLKIO_FAMILY, running: true,
        prefixes: (x) => devs(x.w).flatMap((d) => ['Read', 'Write'].map((op) => p(BLKIO_FAMILY, `${x.base},${dev(d)},major="${d.major}",minor="${d.minor}",operation="${op}"`))),
        values: (w, out) => { for (const d of devs(w)) out.push(d.readBytes, d.writeBytes); },
      },
      { def: LAST_SEEN_FAMILY, running: true, prefixes: (x) => [p(LAST_SEEN_FAMILY, x.base)], values: (_w, out) => { out.push(this.seen); } },
      { def: c.restarts, running: false, prefixes: (x) => [p(c.restarts, x.name)], values: (w, out) => { out.push(w.restartCount); } },
      {
        def: c.state, running: false, prefixes: (x) => WORKLOAD_STATES.map((s) => p(c.state, `${x.name},state="${s}"`)),
        values: (w, out) => { for (const s of WORKLOAD_STATES) out.push(s === w.state ? 1 : 0); },
      },
      {
        def: c.messages, running: false, prefixes: (x) => ['stdout', 'stderr'].map((s) => p(c.messages, `${x.name},stream="${s}"`)),
        values: (w, out) => { out.push(w.logs.messages.stdout, w.logs.messages.stderr); },
      },
      { def: c.logBytes, running: false, prefixes: (x) => [p(c.logBytes, x.name)], values: (w, out) => { out.push(w.logs.bytes); } },
      {
        def: c.dropped, running: false,
        prefixes: (x) => x.w.logs.drivers.flatMap((d) => Object.keys(d.dropped).map((r) => p(c.dropped, `${x.name},driver="${d.driver}",reason="${r}"`))),
        values: (w, out) => { for (const d of w.logs.drivers) for (const r in d.dropped) out.push(d.dropped[r]); },
      },
      { def: c.driverErrors, global: (snap) => perDriver(snap, 'errors') },
      { def: c.driverRetries, global: (snap) => perDriver(snap, 'retries') },
      {
        def: c.queueBytes, running: false, prefixes: (x) => x.w.logs.drivers.map((d) => p(c.queueBytes, `${x.name},driver="${d.driver}"`)),
        values: (w, out) => { for (const d of w.logs.drivers) out.push(d.queuedBytes); },
      },
      { def: c.samplerDuration, global: (snap) => [['', usable(snap.durationSeconds) ? snap.durationSeconds : 0]] },
      { def: c.samplerErrors, global: (snap) => [['', usable(snap.errors) ? snap.errors : 0]] },
    ];
  }

  /** Same layout as prom-client's (a blank line between families), joined once. */
  render(snap: Snapshot): string {
    this.seen = Number(snap.time / 1_000_000n) / 1000;
    const cached = snap.workloads.map((w) => this.resolve(w));
    const vals: Value[] = [];
    const lines: string[] = [];
    this.families.forEach((f, k) => {
      if (k > 0) lines.push('');
      lines.push(`# HELP ${f.def.name} ${f.def.help}`, `# TYPE ${f.def.name} ${f.def.type}`);
      const counter = f.def.type === 'counter';
      if ('global' in f) {
        for (const [labels, v] of f.global(snap)) if (usable(v)) lines.push(`${f.def.name}${labels ? `{${labels}}` : ''} ${counter ? counterValue(v) : v}`);
        return;
      }
      for (const c of cached) {
        if (f.running && !c.w.stats) continue;
        vals.length = 0;
        f.values(c.w, vals);
        const prefixes = (c.prefixes[k] ??= f.prefixes(c));
        for (let j = 0; j < vals.length; j++) { const v = vals[j]; if (usable(v)) lines.push(prefixes[j] + (counter ? counterValue(v) : v)); }
      }
    });
    lines.push('');
    return lines.join('\n');
  }
}

// ---- scrape ------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[a.length >> 1]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(header), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const f2 = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

/**
 * prom-client's Registry over rows made once, label sets as shared (cached) labels and nothing
 * left to collect: what its serializer alone costs, the floor for an exporter that keeps it.
 */
async function serializerOnly(from: Iterable<Counter | Gauge>): Promise<Registry> {
  const only = new Registry();
  for (const m of from) {
    const got = await m.get();
    const values = got.values.map((v) => ({ value: v.value, labels: {}, sharedLabels: v.labels }));
    only.registerMetric({ get: async () => ({ ...got, values }), name: got.name, reset: () => undefined } as unknown as Gauge);
  }
  return only;
}

/** GET over a kept-alive loopback connection; the body as bytes (a scraper parses them; we needn't decode). */
const agent = new http.Agent({ keepAlive: true });
function get(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d)).once('end', () => resolve(Buffer.concat(parts))).once('error', reject);
    }).once('error', reject);
  });
}

/** gc() (run with --expose-gc) before each timed render: each pays for its own garbage, not the one before's. */
const gc = (globalThis as { gc?: () => void }).gc;

async function timed<T>(fn: () => T | Promise<T>, collect = true): Promise<{ v: T; wall: number }> {
  if (collect) gc?.();
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return { v, wall: ms(t0) };
}

/** prom-client's own OpenMetrics for the snapshot, from a fresh registry (its counters are renamed in place by it). */
async function naiveOpenMetrics(keys: string[], snap: Snapshot): Promise<string> {
  const fresh = new NaivePromClient(keys);
  fresh.update(snap);
  fresh.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return fresh.registry.metrics();
}

async function scrape(n: number): Promise<string[]> {
  const all = fakes(n);
  const keys = [...new Set(all.flatMap((f) => Object.keys(f.labels).map(labelName)))].sort();
  const sampler = new SyntheticSampler(all);
  const exporter = new MetricsExporter(sampler);
  const naive = new NaivePromClient(keys);
  const hand = new HandWritten(keys);
  const server = await serveMetrics(exporter, { host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const t = { corral: [] as number[], om: [] as number[], http: [] as number[], floor: [] as number[], update: [] as number[], naive: [] as number[], hand: [] as number[] };
  naive.update(sampler.advance());
  const floor = await serializerOnly(naive.metrics.values());
  let lines = 0;
  let bytes = 0;
  const rounds = Math.max(ROUNDS, Math.round((ROUNDS * 100) / n));
  try {
    for (let r = -5; r < rounds; r++) { // 5 warm-up rounds for the JIT and the caches
      const snap = sampler.advance();
      const ours = await timed(async () => (await exporter.render(false)).body);
      const om = await timed(async () => (await exporter.render(true)).body);
      const http = await timed(() => get(url));
      const floorText = await timed(() => floor.metrics());
      const update = await timed(() => naive.update(snap));
      const naiveText = await timed(() => naive.registry.metrics(), false);
      const hands = await timed(() => hand.render(snap));
      if (r === -5 || r === rounds - 1) {
        if (ours.v !== hands.v) throw new Error(`corral's text differs from the hand-written one at ${n} workloads (round ${r})${firstDiff(ours.v, hands.v)}`);
        const count = (text: string) => text.split('\n').length;
        if (count(floorText.v) !== count(ours.v)) throw new Error(`prom-client's serializer alone wrote ${count(floorText.v)} lines, corral ${count(ours.v)}`);
        if (ours.v !== naiveText.v) throw new Error(`corral's text differs from naive prom-client's at ${n} workloads${firstDiff(ours.v, naiveText.v)}`);
        if (http.v.toString() !== ours.v) throw new Error('GET /metrics differs from render()');
        const omNaive = await naiveOpenMetrics(keys, snap);
        if (om.v !== omNaive) throw new Error(`corral's OpenMetrics differs from naive prom-client's at ${n} workloads${firstDiff(om.v, omNaive)}`);
        lines = ours.v.split('\n').filter((l) => l && !l.startsWith('#')).length;
        bytes = ours.v.length;
      }
      if (r < 0) continue;
      t.corral.push(ours.wall); t.om.push(om.wall); t.http.push(http.wall); t.floor.push(floorText.wall);
      t.update.push(update.wall); t.naive.push(update.wall + naiveText.wall); t.hand.push(hands.wall);
    }
  } finally {
    server.closeAllConnections(); // our kept-alive one
    await new Promise((r) => server.close(r));
  }
  const naiveCell = `${f2(median(t.naive))} (${f2(median(t.update))} + ${f2(median(t.naive) - median(t.update))})`;
  return [String(n), String(lines), (bytes / 1024).toFixed(0), f2(median(t.corral)), f2(median(t.om)), f2(median(t.http)), f2(median(t.floor)), naiveCell, f2(median(t.hand)), 'yes'];
}

function firstDiff(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  const i = al.findIndex((l, k) => l !== bl[k]);
  return `: line ${i + 1}\n  ${al[i]}\n  ${bl[i]}`;
}

// ---- CPU while sampling real cgroups ------------------------------------------------------------

interface Made { handles: CgroupHandle[]; children: ChildProcess[]; parents: Set<string> }

/** Removes what we made: our processes, our cgroups, our parent; nothing else. */
async function teardown(m: Made): Promise<void> {
  await Promise.all(m.children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  })));
  for (const h of m.handles) await h.destroy().catch((e: Error) => console.error(`could not remove ${h.path}: ${e.message}`));
  for (const p of m.parents) { try { fs.rmdirSync(p); } catch (e) { console.error(`could not remove ${p}: ${(e as Error).message}`); } }
}

async function sampleCpu(n: number, made: Made, interrupted: Promise<never>): Promise<string[]> {
  const parent = `corral-bench-${process.pid}`;
  const { backend } = openCgroups({ parent });
  if (backend.version === null) throw new Error(`skipped: ${backend.reason}`);
  const all = fakes(n);
  const sources: SampleSource[] = [];
  for (const [i, f] of all.entries()) {
    const h = await backend.create(`w${i}`, f.limits);
    made.handles.push(h);
    for (const d of h.dirs) made.parents.add(path.dirname(d));
    if (PROCS) {
      const child = spawn('sleep', ['900'], { stdio: 'ignore' }); // bounded, should we die before teardown
      made.children.push(child);
      await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
      await h.join(child.pid!);
    }
    sources.push({ describe: () => ({ ...describe(f, i, 1), state: 'running' }), cgroupHandle: h, lastCgroupPath: h.path });
  }
  const passes: number[] = [];
  const sampler = new IntervalSampler(() => sources, new WallClock(), 1000);
  sampler.subscribe((s) => passes.push(s.durationSeconds));
  const watchers: Array<OomWatcher | null> = [];
  /** % of one core this process used over --seconds. */
  const window = async () => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await Promise.race([sleep(SECONDS * 1000), interrupted]);
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) / (Number(process.hrtime.bigint() - t0) / 1e3)) * 100;
  };
  try {
    await Promise.race([sleep(2000), interrupted]); // files opened, JIT warm
    passes.length = 0;
    const alone = await window();
    const passMs = median(passes) * 1e3;
    const count = passes.length;
    // What the agent adds per running workload: the supervisor's OOM watcher, polling at 1 Hz.
    for (const h of made.handles) watchers.push(watchOom(h, { onKill: () => undefined }));
    await Promise.race([sleep(1000), interrupted]);
    const withOom = await window();
    const exporter = new MetricsExporter(sampler);
    const scrapes: number[] = [];
    for (let r = 0; r < 10; r++) { const s0 = process.hrtime.bigint(); await exporter.render(false); scrapes.push(ms(s0)); }
    return [String(n), PROCS ? 'sleep in each' : 'empty', String(count), f2(passMs), ((passMs * 1e3) / n).toFixed(1), alone.toFixed(2), withOom.toFixed(2),
      f2(median(scrapes.slice(2))), String(sampler.latest()!.errors)];
  } finally {
    sampler.stop();
    for (const w of watchers) w?.close();
  }
}

async function main(): Promise<void> {
  if (ONLY !== 'cpu') {
    const rows: string[][] = [];
    for (const n of SIZES) rows.push(await scrape(n));
    console.log(`\nmetrics-scrape: median ms per /metrics render (${ROUNDS}+ rounds per size, values changing every round, gc ${gc ? 'before each render' : 'unforced: run with --expose-gc'}; naive = updates + rendering)\n`);
    console.log(table(['workloads', 'samples', 'KiB', 'corral', 'corral OpenMetrics', 'corral over HTTP', 'prom-client serializer alone', 'naive prom-client', 'hand-written text', 'same bytes'], rows));
  }
  if (ONLY !== 'scrape') {
    if (process.getuid?.() !== 0) { console.log('\ncpu: skipped (needs root to create cgroups)'); return; }
    let stop: (e: Error) => void = () => undefined;
    const interrupted = new Promise<never>((_, reject) => { stop = reject; });
    interrupted.catch(() => undefined);
    const onSignal = () => stop(new Error('interrupted'));
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    const rows: string[][] = [];
    try {
      for (const n of SIZES) {
        const made: Made = { handles: [], children: [], parents: new Set() };
        try { rows.push(await sampleCpu(n, made, interrupted)); } finally { await teardown(made); }
      }
    } finally {
      process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
    }
    console.log(`\nagent CPU (% of one core) while IntervalSampler reads N real cgroups at 1 Hz, ${SECONDS} s after 2 s of warm-up; then with a 1 Hz OOM watcher per cgroup too, as the supervisor runs them; goal < 5% at 1000\n`);
    console.log(table(['cgroups', 'processes', 'passes', 'ms per pass', 'µs per workload', 'CPU %: sampler', 'CPU %: + OOM watchers', 'scrape of that snapshot ms', 'read errors'], rows));
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
