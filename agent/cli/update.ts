import { Command } from 'commander';
import { UPDATE_FLAGS } from '../../engine/cgroups/update';
import { CliContext } from './context';
import { addResourceFlags, resourceFlags } from './resourceflags';

/** `corral update`: change a workload's limits live (Docker's updatable subset), no restart. */
export function registerUpdate(program: Command, ctx: () => CliContext): void {
  addResourceFlags(program.command('update').description('change resource limits of workloads, live'), UPDATE_FLAGS)
    .argument('<workload...>')
    .action(async (refs: string[], opts: Record<string, unknown>) => {
      const resources = resourceFlags(opts);
      if (!Object.keys(resources).length) throw new Error('you must provide one or more flags when using this command (e.g. --memory 512m, --cpus 0.5)');
      const c = await ctx().client();
      let failed = false;
      for (const ref of refs) {
        try {
          const r = await c.json<{ Warnings: string[] }>('POST', `/workloads/${encodeURIComponent(ref)}/update`, { resources });
          for (const w of r.Warnings) console.error(`WARNING: ${w}`);
          console.log(ref);
        } catch (e) {
          console.error(`Error response from agent: ${(e as Error).message}`);
          failed = true;
        }
      }
      if (failed) process.exitCode = 125;
    });
}
