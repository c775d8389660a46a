import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { buildProgram } from '../../agent/cli/main';
import { pathOf } from '../../agent/cli/examples';
import { shellWords } from '../../agent/compose/shellwords';
import { corral } from '../helpers/cli';

/** Every command the program registers, corral itself first, found by walking it (no list kept here). */
function allCommands(program: Command): Command[] {
  const out: Command[] = [];
  const visit = (c: Command) => { out.push(c); c.commands.forEach(visit); };
  visit(program);
  return out;
}

/** The example lines of a --help output: those starting with `corral ` after the Examples: heading. */
function examplesOf(help: string): string[] | undefined {
  const i = help.indexOf('\nExamples:\n');
  if (i < 0) return undefined;
  return help.slice(i).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('corral '));
}

/**
 * Parses an example with the program's own option parsers, without running anything: down the
 * subcommands it names, each level's options taken by that level. Returns the command reached
 * and what was left unknown (an option no command there has).
 */
function dryParse(words: string[]): { cmd: Command; operands: string[]; unknown: string[] } {
  // Fresh each time: parsing stores option values on the commands.
  let cmd = buildProgram();
  let args = words;
  for (;;) {
    const { operands, unknown } = cmd.parseOptions(args);
    const sub = operands.length ? cmd.commands.find((c) => c.name() === operands[0]) : undefined;
    if (!sub) return { cmd, operands, unknown };
    cmd = sub;
    args = [...operands.slice(1), ...unknown];
  }
}

describe('--help on every command ends with examples that parse', () => {
  const program = buildProgram();
  const commands = allCommands(program);
  // No agent is needed for help: a data root that has none.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-help-'));

  it('finds the commands by walking the program', () => {
    const names = commands.map(pathOf);
    for (const n of ['', 'run', 'logs', 'events', 'system prune', 'up', 'completion']) assert.ok(names.includes(n), `${n || 'corral'} in ${names.join(', ')}`);
  });

  it('each --help has an Examples: section, each example names only flags its command has', async () => {
    const problems: string[] = [];
    const queue = [...commands];
    const worker = async () => {
      for (let c; (c = queue.shift()); ) {
        const where = pathOf(c);
        const r = await corral(root, [...where.split(' ').filter(Boolean), '--help']);
        if (r.code !== 0) { problems.push(`corral ${where} --help exited ${r.code}: ${r.stderr}`); continue; }
        const examples = examplesOf(r.stdout);
        if (!examples?.length) { problems.push(`corral ${where} --help has no Examples: section with a "corral ..." line`); continue; }
        for (const ex of examples) {
          // What the shell would take for itself (redirections, pipes) is not corral's.
          const words = shellWords(ex).slice(1);
          const cut = words.findIndex((w) => ['>', '>>', '<', '|', '&&', ';'].includes(w));
          try {
            const { cmd, operands, unknown } = dryParse(cut < 0 ? words : words.slice(0, cut));
            // An example runs its command, or one below it (corral's and system's are of their subcommands).
            const ran = pathOf(cmd);
            if (where && ran !== where && !ran.startsWith(`${where} `)) problems.push(`${where}: "${ex}" runs corral ${ran}`);
            if (unknown.length) problems.push(`${where}: "${ex}": unknown option ${unknown[0]}`);
            const args = cmd.registeredArguments;
            const required = args.filter((a) => a.required).length;
            const most = args.some((a) => a.variadic) ? Infinity : args.length;
            if (operands.length < required || operands.length > most) problems.push(`${where}: "${ex}": ${operands.length} arguments, expected ${required}${most === Infinity ? ' or more' : `..${most}`}`);
          } catch (e) {
            problems.push(`${where}: "${ex}": ${(e as Error).message}`);
          }
        }
      }
    };
    try {
      await Promise.all([worker(), worker(), worker(), worker()]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    assert.deepEqual(problems, []);
  });
});
