import { Command } from 'commander';
import { CliContext } from './context';
import { installUnit } from './systemdunit';
import { parseMetricsAddr } from '../metrics/server';
import { WatchFlags, addWatchOptions, watchOptionsOf } from '../watch/options';

export function registerAgent(program: Command, ctx: () => CliContext): void {
  addWatchOptions(program.command('agent').description('run the corral agent in the foreground'))
    .option('--cgroup-parent <name>', 'parent cgroup for the workloads\' cgroups (env CORRAL_CGROUP_PARENT)', process.env['CORRAL_CGROUP_PARENT'] || 'corral')
    .option('--metrics-addr <host:port>', 'where Prometheus scrapes /metrics, or off (env CORRAL_METRICS_ADDR)', process.env['CORRAL_METRICS_ADDR'] ?? '127.0.0.1:9323')
    .option('--live-restore', 'leave workloads running when the agent stops; the next agent adopts them (env CORRAL_LIVE_RESTORE=1)', process.env['CORRAL_LIVE_RESTORE'] === '1')
    .option('--hostname <name>', 'this host\'s name in metrics, events and log records (env CORRAL_HOSTNAME; default the system\'s hostname)', process.env['CORRAL_HOSTNAME'] || undefined)
    .option('--socket-group <name>', 'the group that may use the API socket (env CORRAL_SOCKET_GROUP; corral is created if missing)', process.env['CORRAL_SOCKET_GROUP'] || 'corral')
    .option('--install [dir]', 'write a systemd unit that runs this agent (with --live-restore) into dir (default /etc/systemd/system) and exit')
    .action(async (o: { cgroupParent: string; metricsAddr: string; liveRestore: boolean; socketGroup: string; hostname?: string; install?: string | true } & WatchFlags) => {
      if (o.install !== undefined) {
        const file = installUnit(o.install === true ? '/etc/systemd/system' : o.install, ctx().dataRoot);
        console.log(`wrote ${file}\nnext: systemctl daemon-reload && systemctl enable --now corral`);
        return;
      }
      const metricsAddr = parseMetricsAddr(o.metricsAddr);
      // Goes into syslog headers and label values: one printable word, as a hostname is.
      if (o.hostname !== undefined && !/^[!-~]{1,255}$/.test(o.hostname)) throw new Error(`invalid value "${o.hostname}" for --hostname: expected 1 to 255 printable characters, no spaces`);
      // Loaded here so that every other command starts without the agent's code.
      const { runAgent } = require('../daemon') as typeof import('../daemon');
      const agent = await runAgent({ dataRoot: ctx().dataRoot, cgroupParent: o.cgroupParent, metricsAddr, liveRestore: o.liveRestore, socketGroup: o.socketGroup, hostname: o.hostname, watch: watchOptionsOf(o) });
      await new Promise<void>((resolve) => {
        const shutdown = () => void agent.stop().then(resolve);
        process.once('SIGTERM', shutdown);
        process.once('SIGINT', shutdown);
      });
      // Whatever a driver's client library still holds open must not keep a stopped agent alive.
      process.exit(0);
    });
}
