import { Command } from 'commander';
import { CliContext } from './context';
import { STOP_TIMEOUT_RANGE, validStopTimeout } from '../../engine/workloads/stoptimeout';

/** The verbs that act on workloads by reference; each prints what Docker's counterpart prints. */

function simple(program: Command, ctx: () => CliContext, name: string, description: string, act: (ref: string, opts: Record<string, string | boolean>) => Promise<string | void>) {
  return program.command(name).description(description).argument('<workload...>')
    .action(async (refs: string[], opts: Record<string, string | boolean>) => {
      let failed = false;
      for (const ref of refs) {
        try {
          const out = await act(ref, opts);
          if (out !== undefined) console.log(out);
        } catch (e) {
          console.error(`Error response from agent: ${(e as Error).message}`);
          failed = true;
        }
      }
      if (failed) process.exitCode = 125;
    });
}

/** A stop timeout flag (stop/restart -t, up/down -t): seconds before SIGKILL, -1 for none (as Docker), at most what a timer holds. */
export function stopSeconds(text: string | boolean | undefined, flag = '--time'): number {
  if (text === undefined || typeof text === 'boolean') return 10;
  if (!/^-?\d+$/.test(text) || !validStopTimeout(Number(text))) throw new Error(`invalid value "${text}" for ${flag}: expected ${STOP_TIMEOUT_RANGE}`);
  return Number(text);
}

export function registerLifecycle(program: Command, ctx: () => CliContext): void {
  simple(program, ctx, 'start', 'start stopped workloads', async (ref) => {
    await (await ctx().client()).json('POST', `/workloads/${encodeURIComponent(ref)}/start`);
    return ref;
  });
  simple(program, ctx, 'stop', 'stop workloads: SIGTERM, then SIGKILL after a grace period', async (ref, o) => {
    await (await ctx().client()).json('POST', `/workloads/${encodeURIComponent(ref)}/stop?t=${stopSeconds(o['time'])}`);
    return ref;
  }).option('-t, --time <seconds>', 'seconds to wait before killing (-1: never kill)', '10');
  simple(program, ctx, 'restart', 'restart workloads', async (ref, o) => {
    await (await ctx().client()).json('POST', `/workloads/${encodeURIComponent(ref)}/restart?t=${stopSeconds(o['time'])}`);
    return ref;
  }).option('-t, --time <seconds>', 'seconds to wait before killing (-1: never kill)', '10');
  simple(program, ctx, 'kill', 'send a signal to workloads', async (ref, o) => {
    await (await ctx().client()).json('POST', `/workloads/${encodeURIComponent(ref)}/kill?signal=${encodeURIComponent(String(o['signal']))}`);
    return ref;
  }).option('-s, --signal <signal>', 'signal to send', 'SIGKILL');
  simple(program, ctx, 'rm', 'remove workloads', async (ref, o) => {
    await (await ctx().client()).json('DELETE', `/workloads/${encodeURIComponent(ref)}${o['force'] ? '?force=1' : ''}`);
    return ref;
  }).option('-f, --force', 'stop a running workload first');
  simple(program, ctx, 'wait', 'wait for workloads to stop, print their exit codes', async (ref) => {
    const r = await (await ctx().client()).json<{ StatusCode: number }>('POST', `/workloads/${encodeURIComponent(ref)}/wait`);
    return String(r.StatusCode);
  });
}
