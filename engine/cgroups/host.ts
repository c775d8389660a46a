import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Detection } from './detect';
import { statBlockDevice } from './devices';
import { HostInfo } from './verify';

function readTrim(file: string): string | undefined {
  try { return fs.readFileSync(file, 'utf8').trim(); } catch { return undefined; }
}

/** v2 has no swap file in the root cgroup: look in a child that has the memory controller. */
function v2SwapLimit(mount: string): boolean {
  let kids: string[] = [];
  try { kids = fs.readdirSync(mount, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name); } catch { /* none */ }
  for (const k of kids) {
    if (fs.existsSync(path.join(mount, k, 'memory.max'))) return fs.existsSync(path.join(mount, k, 'memory.swap.max'));
  }
  return true;
}

/** What dockerd's sysInfo would say about this machine, for the limit checks. */
export function hostInfo(det: Detection): HostInfo {
  const ncpu = os.availableParallelism();
  let cpus: string | undefined;
  let mems: string | undefined;
  let swapLimit = false;
  if (det.version === 1) {
    if (det.v1.cpuset) {
      cpus = readTrim(path.join(det.v1.cpuset, 'cpuset.cpus'));
      mems = readTrim(path.join(det.v1.cpuset, 'cpuset.mems'));
    }
    swapLimit = !!det.v1.memory && fs.existsSync(path.join(det.v1.memory, 'memory.memsw.limit_in_bytes'));
  } else if (det.version === 2 && det.v2) {
    cpus = readTrim(path.join(det.v2.mount, 'cpuset.cpus.effective'));
    mems = readTrim(path.join(det.v2.mount, 'cpuset.mems.effective'));
    swapLimit = det.v2.controllers.includes('memory') && v2SwapLimit(det.v2.mount);
  }
  return { ncpu, cpus: cpus || `0-${ncpu - 1}`, mems: mems || '0', swapLimit, statDevice: statBlockDevice };
}
