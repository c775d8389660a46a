import { spawn } from 'node:child_process';
import { Command } from 'commander';
import type { systemInfo } from '../system';
import { localUrl, parseWebAddr } from '../web/options';
import { CliContext } from './context';

type Info = ReturnType<typeof systemInfo>;

/** Starts xdg-open and resolves once it ran (true) or could not be started (false). */
function xdgOpen(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('spawn', () => { child.unref(); resolve(true); });
  });
}

/** `corral web`: the running agent's web view address, opened in a browser when there is a display. */
export function registerWeb(program: Command, ctx: () => CliContext): void {
  program.command('web').description("print the agent's web view address and open it in a browser (agent started with --web-addr)")
    .option('--no-open', 'only print the address')
    .action(async (o: { open: boolean }) => {
      const info = await (await ctx().client()).json<Info>('GET', '/system/info');
      const addr = parseWebAddr(info.WebAddr ?? 'off');
      if (!addr) throw new Error('the agent serves no web view: start it with --web-addr 127.0.0.1:9324 (corral agent --web-addr 127.0.0.1:9324)');
      const url = localUrl(addr);
      console.log(url);
      const display = !!(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']);
      if (o.open && display && !(await xdgOpen(url))) process.stderr.write('corral: xdg-open is not installed: open the address above in a browser\n');
    });
}
