import { Command } from 'commander';
import { CliContext } from './context';
import { CreateFlags, addCreateFlags, createRequest } from './runflags';

export function registerCreate(program: Command, ctx: () => CliContext): void {
  addCreateFlags(program.command('create').description('create a workload without starting it'))
    .action(async (command: string, args: string[], flags: CreateFlags) => {
      const c = await ctx().client();
      const { Id } = await c.json<{ Id: string }>('POST', '/workloads', createRequest(flags, command, args));
      console.log(Id);
    });
}
