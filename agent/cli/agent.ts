import { Command } from 'commander';
import { CliContext } from './context';
import { agentEnv, explicitFlags, installUnit } from './systemdunit';
import { parseMetricsAddr } from '../metrics/server';
import { WatchFlags, addWatchOptions, watchOptionsOf } from '../watch/options';
import { parseWebAddr, webToken } from '../web/options';

interface WebFlags { webAddr: string; webAllowControl?: boolean; webToken?: string; webTokenFile?: string }

/**
 * The web view's options, or undefined when --web-addr is off. readToken false (--install):
 * every check but reading --web-token-file, which may be written after the unit.
 */
function webOptionsOf(o: WebFlags, readToken = true) {
  const addr = parseWebAddr(o.webAddr);
  if (!addr) {
    // Named as given: only the flags that were set, each once.
    const given = [o.webAllowControl && '--web-allow-control', o.webToken !== undefined && '--web-token', o.webTokenFile !== undefined && '--web-token-file'].filter((f): f is string => !!f);
    if (given.length) throw new Error(`${given.length > 1 ? `${given.slice(0, -1).join(', ')} and ${given.at(-1)} need` : `${given[0]} needs`} --web-addr HOST:PORT (the web view is off)`);
    return undefined;
  }
  const token = webToken(o.webToken, readToken ? o.webTokenFile : undefined, process.env['CORRAL_WEB_TOKEN']);
  // CORRAL_WEB_ROOT: another build of the page (tests serve a folder of their own).
  return { addr, token, allowControl: !!o.webAllowControl, root: process.env['CORRAL_WEB_ROOT'] || undefined };
}

type AgentFlags = { cgroupParent: string; metricsAddr: string; liveRestore: boolean; socketGroup: string; hostname?: string; install?: string | true } & WatchFlags & WebFlags;

/** Every flag (and env setting) parsed as the agent runs them: bad ones fail here, naming the flag. */
function agentOptionsOf(o: AgentFlags, readToken = true) {
  const metricsAddr = parseMetricsAddr(o.metricsAddr);
  const web = webOptionsOf(o, readToken);
  // Goes into syslog headers and label values: one printable word, as a hostname is.
  if (o.hostname !== undefined && !/^[!-~]{1,255}$/.test(o.hostname)) throw new Error(`invalid value "${o.hostname}" for --hostname: expected 1 to 255 printable characters, no spaces`);
  return { metricsAddr, web, watch: watchOptionsOf(o) };
}

export function registerAgent(program: Command, ctx: () => CliContext): void {
  addWatchOptions(program.command('agent').description('run the corral agent in the foreground'))
    .option('--cgroup-parent <name>', 'parent cgroup for the workloads\' cgroups (env CORRAL_CGROUP_PARENT)', process.env['CORRAL_CGROUP_PARENT'] || 'corral')
    .option('--metrics-addr <host:port>', 'where Prometheus scrapes /metrics, or off (env CORRAL_METRICS_ADDR)', process.env['CORRAL_METRICS_ADDR'] ?? '127.0.0.1:9323')
    .option('--live-restore', 'leave workloads running when the agent stops; the next agent adopts them (env CORRAL_LIVE_RESTORE=1)', process.env['CORRAL_LIVE_RESTORE'] === '1')
    .option('--hostname <name>', 'this host\'s name in metrics, events and log records (env CORRAL_HOSTNAME; default the system\'s hostname)', process.env['CORRAL_HOSTNAME'] || undefined)
    .option('--socket-group <name>', 'the group that may use the API socket (env CORRAL_SOCKET_GROUP; corral is created if missing)', process.env['CORRAL_SOCKET_GROUP'] || 'corral')
    .option('--web-addr <host:port>', 'serve the web view here, e.g. 127.0.0.1:9324, or off (env CORRAL_WEB_ADDR; default off)', process.env['CORRAL_WEB_ADDR'] ?? 'off')
    .option('--web-allow-control', 'show stop and restart buttons in the web view')
    .option('--web-token <token>', 'the web view asks for this token (visible in ps: prefer --web-token-file or env CORRAL_WEB_TOKEN)')
    .option('--web-token-file <path>', 'the web view asks for the token on the first line of this file')
    .option('--install [dir]', 'write a systemd unit that runs this agent (with --live-restore) into dir (default /etc/systemd/system) and exit')
    .action(async (o: AgentFlags, cmd: Command) => {
      if (o.install !== undefined) {
        // The unit is world-readable: a token on its command line, or in its environment, would be too.
        if (o.webToken !== undefined) throw new Error('--web-token would be written into the unit for anyone to read: use --web-token-file PATH (a file only root reads) with --install');
        if (process.env['CORRAL_WEB_TOKEN'] && o.webTokenFile === undefined) throw new Error('CORRAL_WEB_TOKEN would be written into the unit for anyone to read (and the installed agent would serve the web view without it if left out): unset it and use --web-token-file PATH (a file only root reads) with --install');
        // A unit that cannot start is worse than an error now.
        agentOptionsOf(o, false);
        const file = installUnit(o.install === true ? '/etc/systemd/system' : o.install, ctx().dataRoot, explicitFlags(cmd), agentEnv());
        console.log(`wrote ${file}\nnext: systemctl daemon-reload && systemctl enable --now corral`);
        return;
      }
      const { metricsAddr, web, watch } = agentOptionsOf(o);
      // Loaded here so that every other command starts without the agent's code.
      const { runAgent } = require('../daemon') as typeof import('../daemon');
      const agent = await runAgent({ dataRoot: ctx().dataRoot, cgroupParent: o.cgroupParent, metricsAddr, liveRestore: o.liveRestore, socketGroup: o.socketGroup, hostname: o.hostname, watch, web });
      await new Promise<void>((resolve) => {
        const shutdown = () => void agent.stop().then(resolve);
        process.once('SIGTERM', shutdown);
        process.once('SIGINT', shutdown);
      });
      // Whatever a driver's client library still holds open must not keep a stopped agent alive.
      process.exit(0);
    });
}
