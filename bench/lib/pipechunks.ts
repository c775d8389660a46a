import { LogMessage, messageIn } from '../../engine/logs/message';

/** 100-byte lines with their newline, as bench/ingest's gen writes them. */
export const LINE_BYTES = 100;
/** Lines in one 64 KiB pipe read. */
export const PER_CHUNK = Math.floor(65536 / LINE_BYTES);

/** Line i's text, without its newline: a number, then padding. */
export function lineText(i: number): string {
  return `line ${String(i).padStart(9, '0')} `.padEnd(LINE_BYTES - 1, 'x');
}

/**
 * n lines in pipe-sized groups whose messages are views into one buffer per group, as the framer
 * makes them; `time(line, firstOfGroup)` stamps each (a driver bench picks per-line or per-group).
 */
export function pipeChunks(n: number, time: (line: number, firstOfGroup: number) => bigint): LogMessage[][] {
  const out: LogMessage[][] = [];
  for (let i = 0; i < n; i += PER_CHUNK) {
    const count = Math.min(PER_CHUNK, n - i);
    const src = Buffer.alloc(count * LINE_BYTES);
    const group: LogMessage[] = [];
    for (let j = 0; j < count; j++) {
      src.write(lineText(i + j) + '\n', j * LINE_BYTES);
      group.push(messageIn('stdout', time(i + j, i), src, j * LINE_BYTES, (j + 1) * LINE_BYTES - 1));
    }
    out.push(group);
  }
  return out;
}

export function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.floor(a.length / 2)]!;
}
