import { Command } from 'commander';
import { readRecords } from '../api/logwire';
import { CliContext } from './context';
import { printRecords } from './printlogs';
import { CreateFlags, addCreateFlags, createRequest } from './runflags';

export function registerRun(program: Command, ctx: () => CliContext): void {
  addCreateFlags(program.command('run').description('create and start a workload (attached unless -d)'))
    .option('-d, --detach', 'run in the background and print the workload id')
    .action(async (command: string, args: string[], flags: CreateFlags & { detach?: boolean }) => {
      const c = await ctx().client();
      const { Id, Warnings } = await c.json<{ Id: string; Warnings: string[] }>('POST', '/workloads', createRequest(flags, command, args));
      for (const w of Warnings) console.error(`WARNING: ${w}`);
      if (flags.detach) {
        await c.json('POST', `/workloads/${Id}/start`);
        console.log(Id);
        return;
      }
      // Attached: stream output until the workload exits; forward Ctrl-C and friends to it.
      const forward = (sig: NodeJS.Signals) => void c.json('POST', `/workloads/${Id}/kill?signal=${sig}`).catch(() => {});
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward);
      const res = await c.stream('POST', `/workloads/${Id}/start?attach=1`);
      const exit = await printRecords(readRecords(res), { timestamps: false, details: false });
      process.exitCode = exit ?? 125;
    });
}
