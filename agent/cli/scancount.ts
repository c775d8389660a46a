import type { ChainSource } from '../../drivers/json-file/reader';
import type { Blob } from '../../drivers/json-file/reader/blob';
import type { ChainFile } from '../../drivers/json-file/reader/chainfile';

/**
 * How much of a json-file log a read has got through, for `logs --file`'s progress line:
 * bytes read of the files' size on disk. A .gz counts whole once it is decompressed (that is
 * its work); what is then read from memory is not counted again.
 */
export class ScanCount {
  scanned = 0;
  total = 0;
  files = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly changed: () => void) {}

  /** The same source, its files' reads counted. */
  source(s: ChainSource): ChainSource {
    return {
      open: () => s.open().map((f) => this.file(f)),
      watch: (wake, fail) => s.watch(wake, fail),
      state: (held, readPos) => s.state(held, readPos),
      next: (held, lastTime, warn) => {
        const n = s.next(held, lastTime, warn);
        return typeof n === 'string' ? n : this.file(n);
      },
    };
  }

  /** Done: the read has got through what there was when it began. */
  get caughtUp(): boolean { return this.total > 0 && this.scanned >= this.total; }

  private add(n: number): void {
    this.scanned = Math.min(this.scanned + n, this.total);
    this.changed();
  }

  private file(f: ChainFile): ChainFile {
    const key = `${f.stat.dev}:${f.stat.ino}`;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.total += f.stat.size;
      this.files++;
    }
    const open = f.blob.bind(f);
    let counted: Promise<Blob> | undefined;
    // The same Blob each time, as the file itself gives (a .gz is decompressed once).
    f.blob = (warn) => (counted ??= open(warn).then((b) => {
      if (f.gz) { this.add(f.stat.size); return b; }
      return { size: b.size, read: async (pos, len) => { const buf = await b.read(pos, len); this.add(buf.length); return buf; } };
    }));
    return f;
  }
}
