import * as fs from 'node:fs';
import { Counter, Gauge, Registry, RegistryContentType } from 'prom-client';
import { Sampler, Snapshot, WorkloadSample } from '../../engine/snapshot';
import { DEVICE_FAMILIES, SAMPLE_FAMILIES } from './families';

type Metric = Counter<string> | Gauge<string>;
const STATES = ['created', 'running', 'restarting', 'exited', 'dead'];

/** Prometheus label name for a workload label, as cAdvisor makes them: container_label_<k>. */
export function labelName(key: string): string {
  return `container_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** "/dev/vda" for 254:0 when sysfs knows the device, else "254:0". */
function deviceName(major: number, minor: number, cache: Map<string, string>): string {
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
 * Turns the sampler's latest snapshot into Prometheus metrics on our own Registry: cAdvisor's
 * container_* names for running workloads, corral_* for every workload and the pipeline.
 * prom-client fixes label names per metric, so the registry is rebuilt when the set of
 * workload label keys changes (rare); values are set at scrape time from the snapshot.
 */
export class MetricsExporter {
  private registry = new Registry<RegistryContentType>();
  private labelKeys = '\0';
  private metrics = new Map<string, Metric>();
  private readonly devices = new Map<string, string>();

  constructor(private readonly sampler: Sampler) {}

  async render(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
    const snap = this.sampler.latest();
    const running = (snap?.workloads ?? []).filter((w) => w.stats !== null);
    this.prepare(running);
    for (const m of this.metrics.values()) m.reset();
    if (snap) this.fill(snap, running);
    this.registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private prepare(running: WorkloadSample[]): void {
    const keys = [...new Set(running.flatMap((w) => Object.keys(w.labels).map(labelName)))].sort();
    if (keys.join(',') === this.labelKeys) return;
    this.labelKeys = keys.join(',');
    this.registry = new Registry<RegistryContentType>();
    this.metrics.clear();
    const base = ['id', 'name', ...keys];
    const add = (name: string, help: string, type: 'counter' | 'gauge', labelNames: string[]) => {
      const opts = { name, help, labelNames, registers: [this.registry] };
      this.metrics.set(name, type === 'counter' ? new Counter(opts) : new Gauge(opts));
    };
    for (const f of SAMPLE_FAMILIES) add(f.name, f.help, f.type, [...base, ...Object.keys(f.extra ?? {})]);
    for (const f of DEVICE_FAMILIES) add(f.name, f.help, 'counter', [...base, 'device']);
    add('container_blkio_device_usage_total', 'Blkio device bytes usage.', 'counter', [...base, 'device', 'major', 'minor', 'operation']);
    add('container_last_seen', 'Last time a container was seen by the exporter.', 'gauge', base);
    add('corral_workload_restarts_total', 'Restarts of the workload by its restart policy.', 'counter', ['name']);
    add('corral_workload_state', 'The workload\'s state: 1 on the current one.', 'gauge', ['name', 'state']);
    add('corral_log_messages_total', 'Log lines read from the workload, by stream.', 'counter', ['name', 'stream']);
    add('corral_log_bytes_total', 'Bytes read from the workload\'s output.', 'counter', ['name']);
    add('corral_log_dropped_total', 'Log lines dropped, by driver and reason.', 'counter', ['name', 'driver', 'reason']);
    add('corral_log_driver_errors_total', 'Failed sends of a log driver.', 'counter', ['driver']);
    add('corral_log_driver_retries_total', 'Sends a log driver repeated after a retryable error.', 'counter', ['driver']);
    add('corral_log_queue_bytes', 'Log bytes waiting in a driver\'s queue.', 'gauge', ['name', 'driver']);
    add('corral_sampler_duration_seconds', 'Time the last sampling pass took.', 'gauge', []);
    add('corral_sampler_errors_total', 'cgroup reads that failed while sampling.', 'counter', []);
  }

  private set(name: string, labels: Record<string, string>, v: number | null | undefined): void {
    if (v == null || !Number.isFinite(v)) return;
    const m = this.metrics.get(name)!;
    if (m instanceof Counter) { if (v > 0) m.inc(labels, v); else m.inc(labels, 0); } else m.set(labels, v);
  }

  private fill(snap: Snapshot, running: WorkloadSample[]): void {
    const keys = this.labelKeys ? this.labelKeys.split(',') : [];
    const seen = Number(snap.time / 1_000_000n) / 1000;
    for (const w of running) {
      const base: Record<string, string> = { id: w.cgroupPath, name: w.name };
      for (const k of keys) base[k] = '';
      for (const [k, v] of Object.entries(w.labels)) base[labelName(k)] = v;
      for (const f of SAMPLE_FAMILIES) this.set(f.name, f.extra ? { ...base, ...f.extra } : base, f.value(w));
      for (const d of w.stats!.io.devices) {
        const device = deviceName(d.major, d.minor, this.devices);
        for (const f of DEVICE_FAMILIES) this.set(f.name, { ...base, device }, d[f.key]);
        const dev = { ...base, device, major: String(d.major), minor: String(d.minor) };
        this.set('container_blkio_device_usage_total', { ...dev, operation: 'Read' }, d.readBytes);
        this.set('container_blkio_device_usage_total', { ...dev, operation: 'Write' }, d.writeBytes);
      }
      this.set('container_last_seen', base, seen);
    }
    const errors = new Map<string, { errors: number; retries: number }>();
    for (const w of snap.workloads) {
      const name = { name: w.name };
      this.set('corral_workload_restarts_total', name, w.restartCount);
      for (const s of STATES) this.set('corral_workload_state', { name: w.name, state: s }, s === w.state ? 1 : 0);
      this.set('corral_log_messages_total', { name: w.name, stream: 'stdout' }, w.logs.messages.stdout);
      this.set('corral_log_messages_total', { name: w.name, stream: 'stderr' }, w.logs.messages.stderr);
      this.set('corral_log_bytes_total', name, w.logs.bytes);
      for (const d of w.logs.drivers) {
        for (const [reason, n] of Object.entries(d.dropped)) this.set('corral_log_dropped_total', { name: w.name, driver: d.driver, reason }, n);
        this.set('corral_log_queue_bytes', { name: w.name, driver: d.driver }, d.queuedBytes);
        const e = errors.get(d.driver) ?? { errors: 0, retries: 0 };
        e.errors += d.errors;
        e.retries += d.retries;
        errors.set(d.driver, e);
      }
    }
    for (const [driver, e] of errors) {
      this.set('corral_log_driver_errors_total', { driver }, e.errors);
      this.set('corral_log_driver_retries_total', { driver }, e.retries);
    }
    this.set('corral_sampler_duration_seconds', {}, snap.durationSeconds);
    this.set('corral_sampler_errors_total', {}, snap.errors);
  }
}
