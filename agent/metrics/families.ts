import { cfsOf } from '../../engine/cgroups/limits';
import { WorkloadSample } from '../../engine/snapshot';
import { MetricName } from './names';

type Value = number | null | undefined;
const ns = (v: Value) => (v == null ? null : v / 1e9);

/** A metric family as /metrics prints it: name, help and type. */
export interface FamilyDef {
  name: MetricName;
  help: string;
  type: 'counter' | 'gauge';
}

/** One cAdvisor metric read straight off a workload sample (labels id, name, container_label_*). */
export interface SampleFamily extends FamilyDef {
  /** Extra constant labels cAdvisor puts on this metric. */
  extra?: Record<string, string>;
  value(w: WorkloadSample): Value;
}

/** cAdvisor's per-container metrics, with its names and meanings. Spec values are what the user set. */
export const SAMPLE_FAMILIES: SampleFamily[] = [
  { name: 'container_cpu_usage_seconds_total', help: 'Cumulative cpu time consumed in seconds.', type: 'counter', extra: { cpu: 'total' }, value: (w) => ns(w.stats?.cpu.usageNs) },
  { name: 'container_cpu_user_seconds_total', help: 'Cumulative user cpu time consumed in seconds.', type: 'counter', value: (w) => ns(w.stats?.cpu.userNs) },
  { name: 'container_cpu_system_seconds_total', help: 'Cumulative system cpu time consumed in seconds.', type: 'counter', value: (w) => ns(w.stats?.cpu.systemNs) },
  { name: 'container_cpu_cfs_periods_total', help: 'Number of elapsed enforcement period intervals.', type: 'counter', value: (w) => w.stats?.cpu.periods },
  { name: 'container_cpu_cfs_throttled_periods_total', help: 'Number of throttled period intervals.', type: 'counter', value: (w) => w.stats?.cpu.throttledPeriods },
  { name: 'container_cpu_cfs_throttled_seconds_total', help: 'Total time duration the container has been throttled.', type: 'counter', value: (w) => ns(w.stats?.cpu.throttledNs) },
  { name: 'container_memory_usage_bytes', help: 'Current memory usage in bytes, including all memory regardless of when it was accessed.', type: 'gauge', value: (w) => w.stats?.memory.usage },
  { name: 'container_memory_working_set_bytes', help: 'Current working set in bytes.', type: 'gauge', value: (w) => w.stats?.memory.workingSet },
  { name: 'container_memory_rss', help: 'Size of RSS in bytes.', type: 'gauge', value: (w) => w.stats?.memory.rss },
  { name: 'container_memory_cache', help: 'Number of bytes of page cache memory.', type: 'gauge', value: (w) => w.stats?.memory.cache },
  { name: 'container_memory_swap', help: 'Container swap usage in bytes.', type: 'gauge', value: (w) => w.stats?.memory.swap },
  { name: 'container_memory_max_usage_bytes', help: 'Maximum memory usage recorded in bytes.', type: 'gauge', value: (w) => w.stats?.memory.maxUsage },
  { name: 'container_memory_failcnt', help: 'Number of memory usage hits limits.', type: 'counter', value: (w) => w.stats?.memory.failcnt },
  // The kernel's own per-cgroup kill counter, kept across runs: never stuck at 0 (cadvisor#3015).
  { name: 'container_oom_events_total', help: 'Count of out of memory events observed for the container.', type: 'counter', value: (w) => w.oomKillCount },
  { name: 'container_processes', help: 'Number of processes running inside the container.', type: 'gauge', value: (w) => w.stats?.pids.current },
  { name: 'container_threads_max', help: 'Maximum number of threads allowed inside the container, 0 if unlimited.', type: 'gauge', value: (w) => w.limits.pidsLimit ?? 0 },
  { name: 'container_spec_memory_limit_bytes', help: 'Memory limit for the container.', type: 'gauge', value: (w) => w.limits.memory ?? 0 },
  { name: 'container_spec_memory_swap_limit_bytes', help: 'Memory swap limit for the container.', type: 'gauge', value: (w) => w.limits.memorySwap ?? 0 },
  { name: 'container_spec_memory_reservation_limit_bytes', help: 'Memory reservation limit for the container.', type: 'gauge', value: (w) => w.limits.memoryReservation ?? 0 },
  { name: 'container_spec_cpu_shares', help: 'CPU share of the container.', type: 'gauge', value: (w) => w.limits.cpuShares ?? 1024 },
  { name: 'container_spec_cpu_quota', help: 'CPU quota of the container.', type: 'gauge', value: (w) => cfsOf(w.limits).quota ?? 0 },
  { name: 'container_spec_cpu_period', help: 'CPU period of the container.', type: 'gauge', value: (w) => cfsOf(w.limits).period ?? 100000 },
  { name: 'container_start_time_seconds', help: 'Start time of the container since unix epoch in seconds.', type: 'gauge', value: (w) => w.startedAt },
];

/** Per-device block I/O: the fs counters cAdvisor reports by device, and blkio bytes by operation. */
export const DEVICE_FAMILIES = [
  { name: 'container_fs_reads_bytes_total', help: 'Cumulative count of bytes read.', key: 'readBytes' },
  { name: 'container_fs_writes_bytes_total', help: 'Cumulative count of bytes written.', key: 'writeBytes' },
  { name: 'container_fs_reads_total', help: 'Cumulative count of reads completed.', key: 'reads' },
  { name: 'container_fs_writes_total', help: 'Cumulative count of writes completed.', key: 'writes' },
] as const;

/** cAdvisor's blkio bytes by device and operation (labels: base, device, major, minor, operation). */
export const BLKIO_FAMILY: FamilyDef = { name: 'container_blkio_device_usage_total', help: 'Blkio device bytes usage.', type: 'counter' };
export const LAST_SEEN_FAMILY: FamilyDef = { name: 'container_last_seen', help: 'Last time a container was seen by the exporter.', type: 'gauge' };

export const WORKLOAD_STATES = ['created', 'running', 'restarting', 'exited', 'dead'] as const;

/** corral's own, for every workload (running or not) and the sampler; labels in the comments. */
export const CORRAL_FAMILIES = {
  restarts: { name: 'corral_workload_restarts_total', help: 'Restarts of the workload by its restart policy.', type: 'counter' }, // name
  state: { name: 'corral_workload_state', help: 'The workload\'s state: 1 on the current one.', type: 'gauge' }, // name, state
  messages: { name: 'corral_log_messages_total', help: 'Log lines read from the workload, by stream.', type: 'counter' }, // name, stream
  logBytes: { name: 'corral_log_bytes_total', help: 'Bytes read from the workload\'s output.', type: 'counter' }, // name
  dropped: { name: 'corral_log_dropped_total', help: 'Log lines dropped, by driver and reason.', type: 'counter' }, // name, driver, reason
  driverErrors: { name: 'corral_log_driver_errors_total', help: 'Failed sends of a log driver.', type: 'counter' }, // driver
  driverRetries: { name: 'corral_log_driver_retries_total', help: 'Sends a log driver repeated after a retryable error.', type: 'counter' }, // driver
  writeErrors: { name: 'corral_log_write_errors_total', help: 'Failed writes to a workload\'s log files (disk full, I/O errors), by driver.', type: 'counter' }, // name, driver
  queueBytes: { name: 'corral_log_queue_bytes', help: 'Log bytes waiting in a driver\'s queue.', type: 'gauge' }, // name, driver
  spoolBytes: { name: 'corral_log_spool_bytes', help: 'Bytes of a remote driver\'s disk spool (spool-dir): lines waiting on disk for the server.', type: 'gauge' }, // name, driver
  samplerDuration: { name: 'corral_sampler_duration_seconds', help: 'Time the last sampling pass took.', type: 'gauge' }, // none
  samplerErrors: { name: 'corral_sampler_errors_total', help: 'cgroup reads that failed while sampling.', type: 'counter' }, // none
} as const satisfies Record<string, FamilyDef>;
