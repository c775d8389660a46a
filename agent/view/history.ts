import { TopRow } from './rows';

/** CPU % of limit (or of the host) and memory of each workload over the last `size` samples, for sparklines. */
export class History {
  private readonly series = new Map<string, { cpu: (number | null)[]; mem: (number | null)[] }>();

  constructor(private readonly size = 300) {}

  /** Appends one sample per row; workloads no longer listed are forgotten. */
  push(rows: readonly TopRow[]): void {
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.id);
      let s = this.series.get(r.id);
      if (!s) this.series.set(r.id, (s = { cpu: [], mem: [] }));
      s.cpu.push(r.cpuOfLimitPercent ?? r.cpuPercent);
      s.mem.push(r.memUsage);
      if (s.cpu.length > this.size) { s.cpu.shift(); s.mem.shift(); }
    }
    for (const id of this.series.keys()) if (!seen.has(id)) this.series.delete(id);
  }

  cpu(id: string): readonly (number | null)[] { return this.series.get(id)?.cpu ?? []; }
  mem(id: string): readonly (number | null)[] { return this.series.get(id)?.mem ?? []; }
}
