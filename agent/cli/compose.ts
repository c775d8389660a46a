import { Command } from 'commander';
import { ApiClient } from '../api/client';
import { InspectJson } from '../inspect';
import { applyPlan, stopAndRemove } from '../compose/apply';
import { followLogs } from '../compose/attach';
import { checkProject } from '../compose/check';
import { composeFile, loadFile, projectName } from '../compose/load';
import { buildProject } from '../compose/model';
import { Current, ownedBy, plan } from '../compose/plan';
import { configText } from '../compose/print';
import { ComposeError } from '../compose/problems';
import { CliContext } from './context';
import { stopSeconds } from './lifecycle';

interface FileOpts { file?: string; projectName?: string; timeout: string }

const say = (line: string) => process.stderr.write(`${line}\n`);

function withFileOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <file>', 'the file (default $CORRAL_CONFIG, else ./corral.yaml, else /etc/corral/corral.yaml)')
    .option('-p, --project-name <name>', 'project name (default: the file\'s directory name)');
}


/** Every workload the agent has, as `up` compares them. */
async function currentWorkloads(c: ApiClient): Promise<Current[]> {
  const list = await c.json<InspectJson[]>('GET', '/workloads?all=1&redact=0');
  return list.map((w) => ({
    id: w.Id, name: w.Name.slice(1), labels: w.Config.Labels, limits: w.HostConfig,
    running: w.State.Running || w.State.Restarting,
  }));
}

/** A bad file is printed one problem a line (file:line: key: what), exit 125. */
function fileErrors<A extends unknown[]>(f: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await f(...a);
    } catch (e) {
      if (!(e instanceof ComposeError)) throw e;
      process.stderr.write(`${e.message}\n`);
      process.exitCode = e.exitCode;
    }
  };
}

/** Loads and validates the file: its shape here, then every workload by the agent (dry run). */
async function load(ctx: () => CliContext, o: FileOpts) {
  const { file, display } = composeFile(o.file);
  const l = loadFile(file, display);
  const project = buildProject(l, projectName(o.projectName, file));
  const c = await ctx().client();
  const current = await currentWorkloads(c);
  const { desired, warnings } = await checkProject(c, l, project, current);
  for (const w of warnings) say(`WARNING: ${w}`);
  return { c, project, current, desired };
}

/** `corral up`, `down` and `config`: the whole host in one file (docker compose's verbs). */
export function registerCompose(program: Command, ctx: () => CliContext): void {
  withFileOptions(program.command('up').description('create, update or remove workloads to match corral.yaml'))
    .option('-d, --detach', 'return once started instead of following their logs')
    .option('-t, --timeout <seconds>', 'seconds to wait for a workload to stop before killing it', '10')
    .action(fileErrors(async (o: FileOpts & { detach?: boolean }) => {
      const timeout = stopSeconds(o.timeout, '--timeout');
      const { c, project, current, desired } = await load(ctx, o);
      const sinceNs = BigInt(Date.now()) * 1_000_000n;
      const ok = await applyPlan(c, plan(project.name, desired, current), timeout, say);
      if (o.detach || !desired.length) { if (!ok) process.exitCode = 125; return; }
      // Attached, as compose: Ctrl-C stops the workloads (a second one kills them).
      const abort = new AbortController();
      let signals = 0;
      const stopAll = () => {
        const how = signals++ === 0 ? 'stop?t=' + timeout : 'kill';
        if (signals === 1) say('Stopping (Ctrl-C again to kill)...');
        void Promise.all(desired.map((d) => c.json('POST', `/workloads/${encodeURIComponent(d.name)}/${how}`).catch(() => {})))
          .then(() => { process.exitCode = 130; abort.abort(); });
      };
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, stopAll);
      await followLogs(c, desired.map((d) => d.name), sinceNs, abort.signal);
      if (!ok && !process.exitCode) process.exitCode = 125;
    }));

  withFileOptions(program.command('down').description('stop and remove the workloads of corral.yaml\'s project'))
    .option('-t, --timeout <seconds>', 'seconds to wait for a workload to stop before killing it', '10')
    .action(fileErrors(async (o: FileOpts) => {
      // Only the project name is needed: down works even when the file is broken, or gone with -p.
      const timeout = stopSeconds(o.timeout, '--timeout');
      const name = o.projectName !== undefined ? projectName(o.projectName, '') : projectName(undefined, composeFile(o.file).file);
      const c = await ctx().client();
      const ours = ownedBy(name, await currentWorkloads(c));
      const results = await Promise.allSettled(ours.map((w) => stopAndRemove(c, w.id, timeout)));
      results.forEach((r, i) => say(r.status === 'fulfilled' ? `${ours[i]!.name}: removed` : `${ours[i]!.name}: failed to remove: ${(r.reason as Error).message}`));
      if (results.some((r) => r.status === 'rejected')) process.exitCode = 125;
    }));

  withFileOptions(program.command('config').description('check corral.yaml and print it as up will apply it'))
    .option('-q, --quiet', 'only check, print nothing')
    .action(fileErrors(async (o: FileOpts & { quiet?: boolean }) => {
      const { project } = await load(ctx, { ...o, timeout: '0' });
      if (!o.quiet) process.stdout.write(configText(project));
    }));
}
