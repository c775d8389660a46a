import { Command } from 'commander';
import { CliContext } from './context';
import { CreateFlags, addCreateFlags, createRequest } from './runflags';

export function registerCreate(program: Command, ctx: () => CliContext): void {
  addCreateFlags(program.command('create').description('create a workload without starting it'))
    .action(async (command: string, args: string[], flags: CreateFlags) => {
      const c = await ctx().client();
      const { Id, Warnings } = await c.json<{ Id: string; Warnings: string[] }>('POST', '/workloads', createRequest(flags, command, args));
      for (const w of Warnings) console.error(`WARNING: ${w}`);
      console.log(Id);
    });
}
