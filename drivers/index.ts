import { DriverDefinition } from '../engine/logs/driver';
import { awslogs } from './awslogs';
import { fluentd } from './fluentd';
import { jsonFile } from './json-file';
import { journald } from './journald';
import { mongodb } from './mongodb';
import { none } from './none';
import { syslog } from './syslog';

/** Every driver corral knows, by name. An explicit list: no registration by import side effect. */
export const builtinDrivers: readonly DriverDefinition<any>[] = [jsonFile, none, syslog, mongodb, fluentd, awslogs, journald];

export function findDriver(name: string): DriverDefinition<unknown> | undefined {
  return builtinDrivers.find((d) => d.name === name);
}

export const driverNames = (): string => builtinDrivers.map((d) => d.name).join(', ');
