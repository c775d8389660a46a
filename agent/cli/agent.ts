import { Command } from 'commander';
import { runAgent } from '../daemon';
import { CliContext } from './context';

export function registerAgent(program: Command, ctx: () => CliContext): void {
  program.command('agent').description('run the corral agent in the foreground')
    .option('--cgroup-parent <name>', 'parent cgroup for the workloads\' cgroups (env CORRAL_CGROUP_PARENT)', process.env['CORRAL_CGROUP_PARENT'] || 'corral')
    .action(async (o: { cgroupParent: string }) => {
      const agent = await runAgent({ dataRoot: ctx().dataRoot, cgroupParent: o.cgroupParent });
      await new Promise<void>((resolve) => {
        const shutdown = () => void agent.stop().then(resolve);
        process.once('SIGTERM', shutdown);
        process.once('SIGINT', shutdown);
      });
    });
}
