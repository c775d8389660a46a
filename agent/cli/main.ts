import { Command, CommanderError } from 'commander';
import { defaultDataRoot } from '../dataroot';
import { registerAgent } from './agent';
import { registerCompose } from './compose';
import { registerCreate } from './create';
import { registerEvents } from './events';
import { registerLifecycle } from './lifecycle';
import { registerRun } from './run';
import { registerStats } from './stats';
import { registerTop } from './top';
import { registerSystem } from './system';
import { registerCompletion } from './completion';
import { addExamples } from './examples';
import { registerUpdate } from './update';
import { CliContext } from './context';
import { registerInspect } from './inspect';
import { registerLogs } from './logs';
import { registerPs } from './ps';
import { registerWeb } from './web';

/** Exit code when corral itself fails (bad flag, unknown workload, agent error), as Docker. */
export const CORRAL_FAILED = 125;

/**
 * Exit code when the reader of our output went away (`corral logs x | head -1`): 128+SIGPIPE,
 * what the shell reports for coreutils, git and docker there, quietly: no message, no stack.
 */
export const BROKEN_PIPE = 141;

const isEpipe = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

/** The agent outlives a closed stdout/stderr (its output is lost); every other command ends quietly. */
let brokenPipeEnds = true;

/** EPIPE on stdout or stderr, wherever it surfaces (a stream's error event, a rejected write): one place. */
function onStreamError(e: Error): void {
  if (!isEpipe(e)) throw e;
  if (brokenPipeEnds) process.exit(BROKEN_PIPE);
}

function fail(e: unknown): never {
  if (isEpipe(e)) process.exit(BROKEN_PIPE);
  const err = e as { message?: string; exitCode?: number };
  process.stderr.write(`corral: ${err.message ?? String(e)}\n`);
  process.exit(typeof err.exitCode === 'number' && err.exitCode !== 0 ? err.exitCode : CORRAL_FAILED);
}

export function buildProgram(): Command {
  const program = new Command('corral')
    .description('run plain Linux processes the way Docker runs containers')
    .option('--data-root <dir>', 'where the agent keeps its state (env CORRAL_ROOT)')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  const ctx = () => new CliContext(program.opts<{ dataRoot?: string }>().dataRoot ?? defaultDataRoot());
  registerAgent(program, ctx);
  registerRun(program, ctx);
  registerCreate(program, ctx);
  registerLifecycle(program, ctx);
  registerPs(program, ctx);
  registerInspect(program, ctx);
  registerLogs(program, ctx);
  registerEvents(program, ctx);
  registerUpdate(program, ctx);
  registerStats(program, ctx);
  registerTop(program, ctx);
  registerCompose(program, ctx);
  registerSystem(program, ctx);
  registerWeb(program, ctx);
  registerCompletion(program);
  addExamples(program);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => {} });
  return program;
}

export function main(argv: string[]): void {
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', onStreamError);
  const program = buildProgram();
  program.hook('preAction', (_root, action) => { if (action.name() === 'agent' && action.opts()['install'] === undefined) brokenPipeEnds = false; });
  program.parseAsync(argv, { from: 'user' }).catch((e: unknown) => {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
      fail({ message: e.message.replace(/^error: /, '') });
    }
    fail(e);
  });
}
