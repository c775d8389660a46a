import { LogMessage } from './message';
import { Outlet } from './outlet';

/** Fans a workload's messages out to its outlets: one per driver, plus live attach taps. */
export class Router {
  private readonly outlets = new Set<Outlet>();

  add(o: Outlet): void { this.outlets.add(o); }
  remove(o: Outlet): void { this.outlets.delete(o); }
  list(): Outlet[] { return [...this.outlets]; }

  /** False when some blocking outlet is full: stop reading the pipe until whenDrained(). */
  publish(msgs: readonly LogMessage[]): boolean {
    let ok = true;
    for (const o of this.outlets) if (!o.offer(msgs)) ok = false;
    return ok;
  }

  async whenDrained(): Promise<void> {
    await Promise.all([...this.outlets].map((o) => o.whenDrained()));
  }
}
