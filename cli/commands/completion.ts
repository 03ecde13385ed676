// `sdp completion bash|zsh|fish`: a completion script made from the command tree in cli/main.ts,
// so a new command or option completes without editing this file. zsh loads the bash one through
// bashcompinit (shipped with zsh).
import type { Command, Option } from 'commander';
import { CliError, EXIT } from '../exit.ts';

interface Node {
  /** words from the root, e.g. ['token', 'list'] */
  path: string[];
  children: string[];
  options: Option[];
}

function walk(cmd: Command, path: string[] = [], out: Node[] = []): Node[] {
  const visible = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  out.push({ path, children: visible.map((c) => c.name()), options: cmd.options.filter((o) => !o.hidden) });
  for (const c of visible) walk(c, [...path, c.name()], out);
  return out;
}

const flags = (n: Node): string[] => [...n.options.flatMap((o) => [o.short, o.long].filter((f): f is string => !!f)), '--help'];

function bash(nodes: Node[]): string {
  const descend = nodes
    .filter((n) => n.children.length > 0)
    .map((n) => `      "${n.path.join(' ')}") case "$w" in ${n.children.join('|')}) path="\${path:+$path }$w" ;; esac ;;`)
    .join('\n');
  const words = nodes.map((n) => `    "${n.path.join(' ')}") words="${[...n.children, ...flags(n)].join(' ')}" ;;`).join('\n');
  const choices = nodes
    .flatMap((n) => n.options.filter((o) => o.argChoices).map((o) => `    ${[o.short, o.long].filter(Boolean).join('|')}) COMPREPLY=($(compgen -W "${o.argChoices?.join(' ')}" -- "$cur")); return ;;`))
    .filter((l, i, all) => all.indexOf(l) === i)
    .join('\n');
  return `# sdp completion for bash: source <(sdp completion bash)
_sdp() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" w i words=""
  case "$prev" in
${choices}
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$path" in
${descend}
    esac
  done
  case "$path" in
${words}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _sdp sdp
`;
}

function fish(nodes: Node[]): string {
  const lines = ['# sdp completion for fish: sdp completion fish > ~/.config/fish/completions/sdp.fish', 'complete -c sdp -f'];
  for (const n of nodes) {
    const cond =
      n.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}${n.path.length > 1 ? `; and __fish_seen_subcommand_from ${n.path[0]}` : ''}`;
    if (n.children.length > 0) lines.push(`complete -c sdp -n '${cond}' -a '${n.children.join(' ')}'`);
    for (const o of n.options) {
      const parts = [`complete -c sdp -n '${cond}'`];
      if (o.long) parts.push(`-l ${o.long.replace(/^--/, '')}`);
      if (o.short) parts.push(`-s ${o.short.replace(/^-/, '')}`);
      if (o.required || o.optional) parts.push(o.argChoices ? `-x -a '${o.argChoices.join(' ')}'` : '-r');
      parts.push(`-d '${o.description.replaceAll("'", "\\'").slice(0, 60)}'`);
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completion(program: Command, shell: string): number {
  const nodes = walk(program);
  if (shell === 'bash') process.stdout.write(bash(nodes));
  else if (shell === 'zsh') process.stdout.write(`# sdp completion for zsh: source <(sdp completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash(nodes)}`);
  else if (shell === 'fish') process.stdout.write(fish(nodes));
  else throw new CliError(`unknown shell ${shell} (bash, zsh or fish)`);
  return EXIT.ok;
}
