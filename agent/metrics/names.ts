/**
 * Every metric corral exports, in one list: cAdvisor's `container_*` names and meanings (so
 * existing dashboards and alert rules work unchanged) and corral's own `corral_*`.
 * Dashboards and alert rules are tested against this list.
 */
export const CONTAINER_METRICS = [
  'container_cpu_usage_seconds_total',
  'container_cpu_user_seconds_total',
  'container_cpu_system_seconds_total',
  'container_cpu_cfs_periods_total',
  'container_cpu_cfs_throttled_periods_total',
  'container_cpu_cfs_throttled_seconds_total',
  'container_memory_usage_bytes',
  'container_memory_working_set_bytes',
  'container_memory_rss',
  'container_memory_cache',
  'container_memory_swap',
  'container_memory_max_usage_bytes',
  'container_memory_failcnt',
  'container_oom_events_total',
  'container_fs_reads_bytes_total',
  'container_fs_writes_bytes_total',
  'container_fs_reads_total',
  'container_fs_writes_total',
  'container_blkio_device_usage_total',
  'container_processes',
  'container_threads_max',
  'container_spec_memory_limit_bytes',
  'container_spec_memory_swap_limit_bytes',
  'container_spec_memory_reservation_limit_bytes',
  'container_spec_cpu_shares',
  'container_spec_cpu_quota',
  'container_spec_cpu_period',
  'container_start_time_seconds',
  'container_last_seen',
] as const;

export const CORRAL_METRICS = [
  'corral_workload_restarts_total',
  'corral_workload_state',
  'corral_log_messages_total',
  'corral_log_bytes_total',
  'corral_log_dropped_total',
  'corral_log_driver_errors_total',
  'corral_log_driver_retries_total',
  'corral_log_write_errors_total',
  'corral_log_queue_bytes',
  'corral_log_spool_bytes',
  'corral_sampler_duration_seconds',
  'corral_sampler_errors_total',
] as const;

export const METRIC_NAMES: readonly string[] = [...CONTAINER_METRICS, ...CORRAL_METRICS];

export type MetricName = (typeof CONTAINER_METRICS)[number] | (typeof CORRAL_METRICS)[number];
