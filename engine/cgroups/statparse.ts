import { DeviceIo } from './types';

/**
 * Parsers for the kernel's cgroup file formats, written for the sampling hot path:
 * indexOf scans on the file text, no per-line arrays.
 */

/** Limits at or above 2^62 are the kernel's "unlimited" (v1 writes 9223372036854771712). */
const UNLIMITED = 2 ** 62;

/** A single-number file ("1234\n"); NaN when it holds something else. */
export function num(text: string): number {
  return Number(text.trim());
}

/** A limit file: "max", -1, or a huge value mean unlimited (null). */
export function limit(text: string): number | null {
  const t = text.trim();
  if (t === 'max' || t === '') return null;
  const n = Number(t);
  return Number.isNaN(n) || n < 0 || n >= UNLIMITED ? null : n;
}

/** The value of `key` in a "key value" per line file (memory.stat, cpu.stat...); null if absent. */
export function kv(text: string, key: string): number | null {
  let i = text.startsWith(key + ' ') ? 0 : text.indexOf('\n' + key + ' ');
  if (i < 0) return null;
  if (i > 0) i++;
  const start = i + key.length + 1;
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  const n = Number(text.slice(start, end));
  return Number.isNaN(n) ? null : n;
}

function device(list: DeviceIo[], major: number, minor: number): DeviceIo {
  for (const d of list) if (d.major === major && d.minor === minor) return d;
  const d: DeviceIo = { major, minor, readBytes: 0, writeBytes: 0, reads: 0, writes: 0 };
  list.push(d);
  return d;
}

/**
 * v1 blkio.throttle.io_service_bytes / io_serviced: "MAJ:MIN Op N" lines and a "Total N"
 * line. Adds Read/Write to each device's bytes or ops.
 */
export function blkioV1(text: string, list: DeviceIo[], ops: boolean): void {
  for (const line of text.split('\n')) {
    const sp1 = line.indexOf(' ');
    const colon = line.indexOf(':');
    if (colon < 0 || sp1 < colon) continue;
    const sp2 = line.indexOf(' ', sp1 + 1);
    const op = line.slice(sp1 + 1, sp2);
    if (op !== 'Read' && op !== 'Write') continue;
    const d = device(list, Number(line.slice(0, colon)), Number(line.slice(colon + 1, sp1)));
    const n = Number(line.slice(sp2 + 1));
    if (op === 'Read') ops ? (d.reads = n) : (d.readBytes = n);
    else ops ? (d.writes = n) : (d.writeBytes = n);
  }
}

/** v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. */
export function ioStatV2(text: string, list: DeviceIo[]): void {
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    const sp = line.indexOf(' ');
    if (colon < 0 || sp < colon) continue;
    const d = device(list, Number(line.slice(0, colon)), Number(line.slice(colon + 1, sp)));
    for (const field of line.slice(sp + 1).split(' ')) {
      const eq = field.indexOf('=');
      const n = Number(field.slice(eq + 1));
      switch (field.slice(0, eq)) {
        case 'rbytes': d.readBytes = n; break;
        case 'wbytes': d.writeBytes = n; break;
        case 'rios': d.reads = n; break;
        case 'wios': d.writes = n; break;
      }
    }
  }
}

/** Per-device lines "MAJ:MIN rest" of a limit file (throttle files, io.max, weight_device). */
export function deviceLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+:\d+)\s+(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}
