import { ApiClient } from '../api/client';
import { Action, Desired } from './plan';

const ref = (id: string) => `/workloads/${encodeURIComponent(id)}`;

/** Stops (SIGTERM, SIGKILL after `timeout` s) and removes one workload. */
export async function stopAndRemove(c: ApiClient, id: string, timeout: number): Promise<void> {
  await c.json('POST', `${ref(id)}/stop?t=${timeout}`);
  await c.json('DELETE', `${ref(id)}?force=1`);
}

async function createAndStart(c: ApiClient, d: Desired, say: (line: string) => void): Promise<void> {
  const { Id, Warnings } = await c.json<{ Id: string; Warnings: string[] }>('POST', '/workloads', d.request);
  for (const w of Warnings) say(`WARNING: ${d.name}: ${w}`);
  await c.json('POST', `${ref(Id)}/start`);
}

/**
 * Carries out a plan, one action after the other, saying what each did (`web: created`). A
 * failed action is reported and the others still run; returns whether all succeeded.
 */
export async function applyPlan(c: ApiClient, actions: readonly Action[], timeout: number, say: (line: string) => void): Promise<boolean> {
  let ok = true;
  for (const a of actions) {
    try {
      switch (a.do) {
        case 'remove':
          await stopAndRemove(c, a.id, timeout);
          say(`${a.name}: removed`);
          break;
        case 'recreate':
          await stopAndRemove(c, a.id, timeout);
          await createAndStart(c, a.desired, say);
          say(`${a.name}: recreated (${a.why})`);
          break;
        case 'update': {
          const r = await c.json<{ Warnings: string[] }>('POST', `${ref(a.id)}/update`, { resources: a.flags });
          for (const w of r.Warnings) say(`WARNING: ${a.name}: ${w}`);
          if (a.start) await c.json('POST', `${ref(a.id)}/start`);
          say(`${a.name}: updated live (${a.fields.join(', ')})`);
          break;
        }
        case 'start':
          await c.json('POST', `${ref(a.id)}/start`);
          say(`${a.name}: started`);
          break;
        case 'create':
          await createAndStart(c, a.desired, say);
          say(`${a.name}: created`);
          break;
        case 'keep':
          say(`${a.name}: up to date`);
          break;
      }
    } catch (e) {
      say(`${a.name}: failed to ${a.do}: ${(e as Error).message}`);
      ok = false;
    }
  }
  return ok;
}
