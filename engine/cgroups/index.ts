import { Detection, detectCgroups, DetectOptions } from './detect';
import { CgroupFs } from './fsutil';
import { hostInfo } from './host';
import { NoCgroups } from './none';
import { CgroupBackend } from './types';
import { V1Backend } from './v1/backend';
import { V2Backend } from './v2/backend';
import { HostInfo } from './verify';

export * from './limits';
export * from './types';
export * from './convert';
export { toHostConfig } from './hostconfig';
export { statBlockDevice } from './devices';
export { detectCgroups, parseMountinfo, NOT_WRITABLE } from './detect';
export type { Detection, DetectOptions, CgroupMount, ControllerAccess } from './detect';
export { hostInfo } from './host';
export { watchOom, OomWatcher } from './oom';
export type { OomWatchOptions } from './oom';
export { gatedCommand, joinAndRelease, selfJoiningCommand, GATE_FD } from './join';
export { CgroupLimitError } from './handle';
export { CgroupFsError, realFs, withFaults } from './fsutil';
export type { CgroupFs, Fault, FileReader } from './fsutil';
export { V1Backend } from './v1/backend';
export { V2Backend } from './v2/backend';
export { NoCgroups } from './none';

export interface CgroupSetup {
  detection: Detection;
  backend: CgroupBackend;
  host: HostInfo;
}

/** The composition root calls this once: detect the layout, pick the backend, learn the host. */
export function openCgroups(opts: DetectOptions & { parent?: string; fs?: CgroupFs } = {}): CgroupSetup {
  const detection = detectCgroups(opts);
  const host = hostInfo(detection);
  let backend: CgroupBackend;
  if (!detection.writable || detection.version === null) {
    backend = new NoCgroups(detection.reason ?? 'no usable cgroups');
  } else if (detection.version === 1) {
    const mounts = Object.fromEntries(detection.controllers.filter((c) => c.writable).map((c) => [c.name, c.dir]));
    backend = new V1Backend({ mounts, parent: opts.parent, fs: opts.fs });
  } else {
    backend = new V2Backend({ root: detection.v2!.mount, parent: opts.parent, fs: opts.fs });
  }
  return { detection, backend, host };
}
