import { Command } from 'commander';
import { runAgent } from '../daemon';
import { CliContext } from './context';

export function registerAgent(program: Command, ctx: () => CliContext): void {
  program.command('agent').description('run the corral agent in the foreground')
    .action(async () => {
      const agent = await runAgent({ dataRoot: ctx().dataRoot });
      await new Promise<void>((resolve) => {
        const shutdown = () => void agent.stop().then(resolve);
        process.once('SIGTERM', shutdown);
        process.once('SIGINT', shutdown);
      });
    });
}
