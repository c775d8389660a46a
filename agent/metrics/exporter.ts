import * as fs from 'node:fs';
import * as os from 'node:os';
import { Counter, Gauge, Registry, RegistryContentType } from 'prom-client';
import { DeviceIo } from '../../engine/cgroups/types';
import { DriverSample, Sampler, Snapshot, WorkloadSample } from '../../engine/snapshot';
import { redactText } from '../redact';
import { BLKIO_FAMILY, CORRAL_FAMILIES, DEVICE_FAMILIES, FamilyDef, LAST_SEEN_FAMILY, SAMPLE_FAMILIES, WORKLOAD_STATES } from './families';

type Labels = Readonly<Record<string, string>>;

/** Prometheus label name for a workload label, as cAdvisor makes them: container_label_<k>. */
export function labelName(key: string): string {
  return `container_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** "/dev/vda" for 254:0 when sysfs knows the device, else "254:0". */
export function deviceName(major: number, minor: number, cache: Map<string, string>): string {
  const key = `${major}:${minor}`;
  let name = cache.get(key);
  if (name === undefined) {
    try {
      const m = /^DEVNAME=(.+)$/m.exec(fs.readFileSync(`/sys/dev/block/${key}/uevent`, 'utf8'));
      name = m ? `/dev/${m[1]}` : key;
    } catch {
      name = key;
    }
    cache.set(key, name);
  }
  return name;
}

/**
 * One sample as prom-client's Registry prints it. The label set rides in `sharedLabels`: the
 * registry turns such an object into text once and caches it by identity, where `labels` would
 * be escaped and joined again on every scrape. So label objects are built once and never
 * changed; rows are reused and only their value is set.
 */
interface Row { value: number; labels: Labels; sharedLabels: Labels }
const NO_LABELS: Labels = Object.freeze({});
const row = (sharedLabels: Labels): Row => ({ value: 0, labels: NO_LABELS, sharedLabels });

/** Adds row with value v, as prom-client's set() / inc() would: skip non-numbers, no negative counts. */
function put(out: Row[], r: Row, v: number | null | undefined, counter: boolean): void {
  if (v == null || !Number.isFinite(v)) return;
  r.value = counter && !(v > 0) ? 0 : v;
  out.push(r);
}

/** Sets a family's rows from the scrape's snapshot, in output order. */
type Collect = (out: Row[]) => void;

/**
 * prom-client's Registry calls get() on each metric once per scrape; ours collect their rows then
 * (prom-client's own get() would list what set()/inc() left in its label-hash map).
 */
class RowCounter extends Counter {
  declare name: string;
  declare help: string;
  private readonly rows: Row[] = [];
  constructor(readonly def: FamilyDef, registry: Registry<RegistryContentType>, private readonly collect: Collect) {
    super({ name: def.name, help: def.help, registers: [registry] });
  }
  override async get(): ReturnType<Counter['get']> {
    return collected(this, 'counter', this.rows, this.collect);
  }
}

class RowGauge extends Gauge {
  declare name: string;
  declare help: string;
  private readonly rows: Row[] = [];
  constructor(def: FamilyDef, registry: Registry<RegistryContentType>, private readonly collect: Collect) {
    super({ name: def.name, help: def.help, registers: [registry] });
  }
  override async get(): ReturnType<Gauge['get']> {
    return collected(this, 'gauge', this.rows, this.collect);
  }
}

/** What prom-client's Registry reads from get(): it needs name, help, type and values. */
function collected(m: { name: string; help: string }, type: FamilyDef['type'], rows: Row[], collect: Collect): never {
  rows.length = 0;
  collect(rows);
  return { name: m.name, help: m.help, type, aggregator: 'sum', values: rows } as never;
}

/** A device's rows in one workload: the four fs counters, then blkio Read and Write. */
class DeviceRows {
  readonly fs: Row[];
  readonly read: Row;
  readonly write: Row;
  constructor(readonly major: number, readonly minor: number, base: Labels, device: string) {
    const labels = { ...base, device };
    this.fs = DEVICE_FAMILIES.map(() => row(labels));
    const blkio = { ...labels, major: String(major), minor: String(minor) };
    this.read = row({ ...blkio, operation: 'Read' });
    this.write = row({ ...blkio, operation: 'Write' });
  }
}

/** A log driver's rows in one workload: dropped lines by reason, failed writes, queued bytes. */
class DriverRows {
  private readonly dropped: Array<{ reason: string; row: Row }> = [];
  readonly queue: Row;
  readonly writeErrors: Row;
  readonly spool: Row;
  constructor(private readonly name: string, private readonly host: string, readonly driver: string) {
    this.queue = row({ name, host, driver });
    this.writeErrors = row(this.queue.sharedLabels);
    this.spool = row(this.queue.sharedLabels);
  }
  reason(i: number, reason: string): Row {
    let r = this.dropped[i];
    if (r?.reason !== reason) r = this.dropped[i] = { reason, row: row({ name: this.name, host: this.host, driver: this.driver, reason }) };
    return r.row;
  }
}

/** cAdvisor's rows of a running workload: labels id, name, host and container_label_* (blank when unset). */
class ContainerRows {
  readonly base: Labels;
  /** One per SAMPLE_FAMILIES, then container_last_seen. */
  readonly samples: Row[];
  private readonly devices: DeviceRows[] = [];
  constructor(w: WorkloadSample, host: string, keys: readonly string[], private readonly names: Map<string, string>) {
    const base: Record<string, string> = { id: w.cgroupPath, name: w.name, host };
    for (const k of keys) base[k] = '';
    for (const [k, v] of Object.entries(w.labels)) base[labelName(k)] = redactText(v); // a label may hold a URL with its password
    this.base = base;
    this.samples = [...SAMPLE_FAMILIES.map((f) => row(f.extra ? { ...base, ...f.extra } : base)), row(base)];
  }
  device(i: number, d: DeviceIo): DeviceRows {
    let r = this.devices[i];
    if (r?.major !== d.major || r.minor !== d.minor) r = this.devices[i] = new DeviceRows(d.major, d.minor, this.base, deviceName(d.major, d.minor, this.names));
    return r;
  }
  trim(devices: number): void {
    if (this.devices.length > devices) this.devices.length = devices;
  }
}

/** One workload's rows, kept while its name, cgroup and labels stay the same. */
class WorkloadRows {
  /** This scrape's sample of the workload. */
  w: WorkloadSample;
  seenIn = 0;
  readonly restarts: Row;
  readonly logBytes: Row;
  readonly states: Row[];
  readonly stdout: Row;
  readonly stderr: Row;
  private rows: ContainerRows | undefined;
  private readonly drivers: DriverRows[] = [];

  constructor(w: WorkloadSample, private readonly host: string, private readonly keys: readonly string[], private readonly names: Map<string, string>) {
    this.w = w;
    const name = { name: w.name, host };
    this.restarts = row(name);
    this.logBytes = row(name);
    this.states = WORKLOAD_STATES.map((state) => row({ ...name, state }));
    this.stdout = row({ ...name, stream: 'stdout' });
    this.stderr = row({ ...name, stream: 'stderr' });
  }

  matches(w: WorkloadSample): boolean {
    return w.name === this.w.name && w.cgroupPath === this.w.cgroupPath && sameLabels(w.labels, this.w.labels);
  }

  /** Made on first use: a workload that never runs needs only corral's rows. */
  get container(): ContainerRows {
    return (this.rows ??= new ContainerRows(this.w, this.host, this.keys, this.names));
  }

  driver(i: number, d: DriverSample): DriverRows {
    let r = this.drivers[i];
    if (r?.driver !== d.driver) r = this.drivers[i] = new DriverRows(this.w.name, this.host, d.driver);
    return r;
  }

  /** Forgets devices and drivers the workload no longer has. */
  trim(): void {
    this.rows?.trim(this.w.stats?.io.devices.length ?? 0);
    if (this.drivers.length > this.w.logs.drivers.length) this.drivers.length = this.w.logs.drivers.length;
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * Turns the sampler's latest snapshot into Prometheus metrics on our own Registry: cAdvisor's
 * container_* names for running workloads, corral_* for every workload and the pipeline.
 * Each metric collects its rows when the registry asks for them; rows and their label objects
 * are kept per workload between scrapes, so a scrape allocates little beyond prom-client's text.
 */
export class MetricsExporter {
  private readonly registry = new Registry<RegistryContentType>();
  private readonly counters: RowCounter[] = [];
  private readonly workloads = new Map<string, WorkloadRows>();
  private readonly deviceNames = new Map<string, string>();
  private readonly labelNames = new Map<string, string>();
  private readonly driverRows = new Map<string, { errors: Row; retries: Row }>();
  private readonly samplerRows: { duration: Row; errors: Row };
  private keys: string[] = [];
  private scrapes = 0;
  /** What this scrape reads: set by render() before the registry collects. */
  private snap: Snapshot | undefined;
  private running: WorkloadRows[] = [];
  /** Running workloads, and ended ones the kernel OOM-killed in: their OOM count must outlive the run. */
  private oomCounted: WorkloadRows[] = [];
  private all: WorkloadRows[] = [];
  private perDriver = new Map<string, { errors: number; retries: number }>();

  /** `host` is on every series (right after `name`, else first) so one Prometheus can tell a fleet's agents apart. */
  constructor(private readonly sampler: Sampler, private readonly host: string = os.hostname()) {
    const hostOnly = Object.freeze({ host });
    this.samplerRows = { duration: row(hostOnly), errors: row(hostOnly) };
    for (const [def, collect] of this.families()) {
      if (def.type === 'counter') this.counters.push(new RowCounter(def, this.registry, collect));
      else new RowGauge(def, this.registry, collect);
    }
  }

  async render(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
    this.prepare(this.sampler.latest());
    // prom-client renames counters in place for OpenMetrics (drops _total); undo it for the text format.
    for (const c of this.counters) c.name = c.def.name;
    this.registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Matches the snapshot's workloads to their kept rows; rebuilds all when the label columns change. */
  private prepare(snap: Snapshot | undefined): void {
    this.snap = snap;
    const workloads = snap?.workloads ?? [];
    const keys = new Set<string>();
    for (const w of workloads) if (countsOom(w)) for (const k in w.labels) keys.add(this.labelName(k));
    if (keys.size !== this.keys.length || this.keys.some((k) => !keys.has(k))) {
      this.keys = [...keys].sort();
      this.workloads.clear();
    }
    const scrape = ++this.scrapes;
    this.running = [];
    this.oomCounted = [];
    this.all = [];
    this.perDriver = new Map();
    for (const w of workloads) {
      let rows = this.workloads.get(w.id);
      if (!rows?.matches(w)) this.workloads.set(w.id, (rows = new WorkloadRows(w, this.host, this.keys, this.deviceNames)));
      rows.w = w;
      rows.seenIn = scrape;
      rows.trim();
      this.all.push(rows);
      if (w.stats !== null) this.running.push(rows);
      if (countsOom(w)) this.oomCounted.push(rows);
      for (const d of w.logs.drivers) {
        const t = this.perDriver.get(d.driver) ?? { errors: 0, retries: 0 };
        t.errors += d.errors;
        t.retries += d.retries;
        this.perDriver.set(d.driver, t);
      }
    }
    for (const [id, rows] of this.workloads) if (rows.seenIn !== scrape) this.workloads.delete(id);
  }

  private labelName(key: string): string {
    let name = this.labelNames.get(key);
    if (name === undefined) {
      if (this.labelNames.size > 10_000) this.labelNames.clear(); // label keys are few; bound it anyway
      this.labelNames.set(key, (name = labelName(key)));
    }
    return name;
  }

  private driverTotals(driver: string): { errors: Row; retries: Row } {
    let r = this.driverRows.get(driver);
    if (!r) this.driverRows.set(driver, (r = { errors: row({ host: this.host, driver }), retries: row({ host: this.host, driver }) }));
    return r;
  }

  /** Every family in /metrics order, with how it collects its rows from the current scrape. */
  private families(): Array<[FamilyDef, Collect]> {
    const c = CORRAL_FAMILIES;
    const eachDriver = (fn: (out: Row[], rows: WorkloadRows, d: DriverSample, i: number) => void): Collect => (out) => {
      for (const rows of this.all) rows.w.logs.drivers.forEach((d, i) => fn(out, rows, d, i));
    };
    return [
      ...SAMPLE_FAMILIES.map((f, k): [FamilyDef, Collect] => [f, (out) => {
        // A kill that ends the run is counted after it ended (the 1 Hz sampler may never see it running).
        const which = f.name === 'container_oom_events_total' ? this.oomCounted : this.running;
        for (const rows of which) put(out, rows.container.samples[k]!, f.value(rows.w), f.type === 'counter');
      }]),
      ...DEVICE_FAMILIES.map((f, k): [FamilyDef, Collect] => [{ ...f, type: 'counter' }, (out) => {
        for (const rows of this.running) rows.w.stats!.io.devices.forEach((d, i) => put(out, rows.container.device(i, d).fs[k]!, d[f.key], true));
      }]),
      [BLKIO_FAMILY, (out) => {
        for (const rows of this.running) {
          rows.w.stats!.io.devices.forEach((d, i) => {
            const dev = rows.container.device(i, d);
            put(out, dev.read, d.readBytes, true);
            put(out, dev.write, d.writeBytes, true);
          });
        }
      }],
      [LAST_SEEN_FAMILY, (out) => {
        const t = this.snap ? Number(this.snap.time / 1_000_000n) / 1000 : 0;
        for (const rows of this.running) put(out, rows.container.samples[SAMPLE_FAMILIES.length]!, t, false);
      }],
      [c.restarts, (out) => { for (const rows of this.all) put(out, rows.restarts, rows.w.restartCount, true); }],
      [c.state, (out) => {
        for (const rows of this.all) WORKLOAD_STATES.forEach((s, i) => put(out, rows.states[i]!, s === rows.w.state ? 1 : 0, false));
      }],
      [c.messages, (out) => {
        for (const rows of this.all) { put(out, rows.stdout, rows.w.logs.messages.stdout, true); put(out, rows.stderr, rows.w.logs.messages.stderr, true); }
      }],
      [c.logBytes, (out) => { for (const rows of this.all) put(out, rows.logBytes, rows.w.logs.bytes, true); }],
      [c.dropped, eachDriver((out, rows, d, i) => {
        const r = rows.driver(i, d);
        let j = 0;
        for (const reason in d.dropped) put(out, r.reason(j++, reason), d.dropped[reason], true);
      })],
      [c.driverErrors, (out) => { for (const [driver, t] of this.perDriver) put(out, this.driverTotals(driver).errors, t.errors, true); }],
      [c.driverRetries, (out) => { for (const [driver, t] of this.perDriver) put(out, this.driverTotals(driver).retries, t.retries, true); }],
      // Only drivers that write files have the count (put skips undefined).
      [c.writeErrors, eachDriver((out, rows, d, i) => put(out, rows.driver(i, d).writeErrors, d.writeErrors, true))],
      [c.queueBytes, eachDriver((out, rows, d, i) => put(out, rows.driver(i, d).queue, d.queuedBytes, false))],
      // Only drivers with a spool-dir (put skips undefined).
      [c.spoolBytes, eachDriver((out, rows, d, i) => put(out, rows.driver(i, d).spool, d.spooledBytes, false))],
      // Only `host`: always present, 0 before the first pass (as prom-client's reset() leaves them).
      [c.samplerDuration, (out) => put(out, this.samplerRows.duration, finite(this.snap?.durationSeconds), false)],
      [c.samplerErrors, (out) => put(out, this.samplerRows.errors, finite(this.snap?.errors), true)],
    ];
  }
}

/** Whether container_oom_events_total has a series for w: while it runs, and after a run with a kill. */
const countsOom = (w: WorkloadSample) => w.stats !== null || (w.oomKillCount > 0 && w.cgroupPath !== '');

const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : 0);
