import { Command } from 'commander';

/** Every command path ("system df") with its long and short options, from the program itself. */
function commandOptions(program: Command): Array<{ path: string; options: string[]; subcommands: string[] }> {
  const out: Array<{ path: string; options: string[]; subcommands: string[] }> = [];
  const walk = (cmd: Command, prefix: string) => {
    for (const c of cmd.commands) {
      if (c.name().startsWith('_')) continue;
      const path = prefix ? `${prefix} ${c.name()}` : c.name();
      const options = c.options.flatMap((o) => [o.long, o.short]).filter((x): x is string => !!x);
      out.push({ path, options: [...options, '--help'], subcommands: c.commands.map((s) => s.name()) });
      walk(c, path);
    }
  };
  walk(program, '');
  return out;
}

/**
 * A bash completion function: commands, then each command's options, then workload names
 * (asked of the agent with `ps -a --format json`; nothing when it does not answer).
 */
function bashScript(program: Command): string {
  const cmds = commandOptions(program);
  const top = cmds.filter((c) => !c.path.includes(' ')).map((c) => c.path).join(' ');
  const cases = cmds.map((c) => `    '${c.path}') opts='${c.options.join(' ')}'; subs='${c.subcommands.join(' ')}' ;;`).join('\n');
  return `# corral completion for bash (zsh: load bashcompinit first). Install:
#   corral completion bash > /etc/bash_completion.d/corral
_corral() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i opts="" subs=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case " $(_corral_subs "$path") " in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  if [ -z "$path" ]; then COMPREPLY=( $(compgen -W "${top} --data-root --help" -- "$cur") ); return; fi
  case "$path" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$opts" -- "$cur") ); return; fi
  if [ -n "$subs" ]; then COMPREPLY=( $(compgen -W "$subs" -- "$cur") ); return; fi
  local names
  names=$(corral ps -a --format json 2>/dev/null | sed -n 's/.*"Names":"\\([^"]*\\)".*/\\1/p')
  COMPREPLY=( $(compgen -W "$names" -- "$cur") )
}
_corral_subs() {
  case "$1" in
    '') echo '${top}' ;;
${cmds.filter((c) => c.subcommands.length).map((c) => `    '${c.path}') echo '${c.subcommands.join(' ')}' ;;`).join('\n')}
  esac
}
complete -F _corral corral
`;
}

function zshScript(program: Command): string {
  return `# corral completion for zsh. Install: corral completion zsh > "\${fpath[1]}/_corral" or eval it in ~/.zshrc
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(program)}`;
}

/** `corral completion bash|zsh`: prints the shell's completion script. */
export function registerCompletion(program: Command): void {
  program.command('completion').description('print a shell completion script: corral completion bash > /etc/bash_completion.d/corral')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new Error(`invalid value "${shell}" for completion: expected bash or zsh`);
      process.stdout.write(shell === 'bash' ? bashScript(program) : zshScript(program));
    });
}
