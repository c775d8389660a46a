import { Command } from 'commander';
import { CliContext } from './context';

export function registerInspect(program: Command, ctx: () => CliContext): void {
  program.command('inspect').description('show workloads as JSON (shaped like docker inspect)').argument('<workload...>')
    .option('--no-redact', 'show secrets (env values like *_KEY/*_TOKEN/*PASSWORD*, URL passwords) as they are')
    .action(async (refs: string[], o: { redact: boolean }) => {
      const c = await ctx().client();
      const found: unknown[] = [];
      let missing = false;
      for (const ref of refs) {
        try {
          found.push(await c.json('GET', `/workloads/${encodeURIComponent(ref)}${o.redact ? '' : '?redact=0'}`));
        } catch (e) {
          console.error(`Error: ${(e as Error).message}`);
          missing = true;
        }
      }
      console.log(JSON.stringify(found, null, 4));
      if (missing) process.exitCode = 125;
    });
}
