import { Command } from 'commander';
import { RESOURCE_FLAGS, ResourceFlag, ResourceFlags } from '../../engine/cgroups/limits';

const collect = (v: string, prev: string[]) => [...prev, v];
const REPEATABLE = new Set<ResourceFlag>(['blkio-weight-device', 'device-read-bps', 'device-write-bps', 'device-read-iops', 'device-write-iops']);

const HELP: Record<ResourceFlag, string> = {
  'memory': 'memory limit (e.g. 256m; binary units)',
  'memory-swap': 'memory plus swap limit; -1 unlimited; unset = twice the memory',
  'memory-reservation': 'memory soft limit',
  'oom-kill-disable': 'do not OOM-kill the workload (cgroup v1)',
  'memory-swappiness': 'swappiness 0-100',
  'cpu-shares': 'relative CPU weight (default 1024)',
  'cpus': 'number of CPUs (e.g. 1.5)',
  'cpu-period': 'CFS period in microseconds',
  'cpu-quota': 'CFS quota in microseconds',
  'cpuset-cpus': 'CPUs allowed (0-3, 0,1)',
  'cpuset-mems': 'memory nodes allowed (0-3, 0,1)',
  'blkio-weight': 'block I/O weight 10-1000',
  'blkio-weight-device': 'per-device weight DEVICE:WEIGHT',
  'device-read-bps': 'read rate limit DEVICE:RATE[kb|mb|gb]',
  'device-write-bps': 'write rate limit DEVICE:RATE[kb|mb|gb]',
  'device-read-iops': 'read IO/s limit DEVICE:N',
  'device-write-iops': 'write IO/s limit DEVICE:N',
  'pids-limit': 'maximum number of processes and threads (-1 unlimited)',
};

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Docker's resource flags on run/create (all) or update (only the given subset). */
export function addResourceFlags(cmd: Command, only?: ReadonlySet<ResourceFlag>): Command {
  for (const flag of Object.keys(RESOURCE_FLAGS) as ResourceFlag[]) {
    if (only && !only.has(flag)) continue;
    const short = RESOURCE_FLAGS[flag];
    const names = `${short ? `-${short}, ` : ''}--${flag}`;
    if (flag === 'oom-kill-disable') cmd.option(names, HELP[flag]);
    else if (REPEATABLE.has(flag)) cmd.option(`${names} <value>`, HELP[flag], collect, []);
    else cmd.option(`${names} <value>`, HELP[flag]);
  }
  return cmd;
}

/** The resource flags that were given, keyed by their long names (as the agent's parser wants them). */
export function resourceFlags(opts: Record<string, unknown>): ResourceFlags {
  const out: ResourceFlags = {};
  for (const flag of Object.keys(RESOURCE_FLAGS) as ResourceFlag[]) {
    const v = opts[camel(flag)];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[flag] = v as string | string[] | boolean;
  }
  return out;
}
