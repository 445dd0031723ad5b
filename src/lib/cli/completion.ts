// Shell completion scripts for `lbctl completion bash|zsh|fish`, generated from the commands oclif knows (so they
// never drift from the flags), with pool names completed from the cluster through the hidden `lbctl __complete pools`.
// Pure: the commands go in, the script comes out.

export type Shell = 'bash' | 'zsh' | 'fish'
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish']

export interface FlagSpec {
  name: string
  char?: string
  /** Takes a value (`--name X`); booleans do not. */
  value: boolean
  /** The values it accepts, when there is a fixed set. */
  options?: readonly string[]
  /** A boolean with a `--no-` form. */
  allowNo?: boolean
  description?: string
}

export interface CommandSpec {
  /** Words, e.g. ['pool', 'set']. */
  path: string[]
  summary?: string
  flags: FlagSpec[]
}

export interface CompletionInput {
  bin: string
  commands: CommandSpec[]
  topics: {name: string; description?: string}[]
}

/** Commands whose first argument names an object in the cluster, and what `lbctl __complete` lists for it. */
export const NAMED_ARGUMENT: Readonly<Record<string, 'pools'>> = {
  'pool show': 'pools', 'pool remove': 'pools', 'pool set': 'pools', 'pool add': 'pools',
}

/** Flags that choose the cluster: passed on to `lbctl __complete` so it lists the pools of the cluster being typed at. */
const CLUSTER_FLAGS = ['--kubeconfig', '--context', '--namespace', '-n']

export function completionScript(shell: Shell, input: CompletionInput): string {
  return shell === 'fish' ? fishScript(input) : shell === 'zsh' ? zshScript(input) : bashScript(input)
}

const firstLine = (s?: string): string => (s ?? '').split('\n')[0].trim()

/** Every path a command line may have typed so far: '' (nothing), topics, and commands. */
function model(input: CompletionInput) {
  const next = new Map<string, Map<string, string>>()
  const add = (parent: string, word: string, description: string) => {
    const m = next.get(parent) ?? new Map<string, string>()
    if (!m.has(word) || !m.get(word)) m.set(word, description)
    next.set(parent, m)
  }
  const topicDescription = new Map(input.topics.map((t) => [t.name.replaceAll(':', ' '), firstLine(t.description)]))
  for (const c of input.commands) {
    for (let i = 0; i < c.path.length; i++) {
      const parent = c.path.slice(0, i).join(' ')
      const here = c.path.slice(0, i + 1).join(' ')
      add(parent, c.path[i], i === c.path.length - 1 ? firstLine(c.summary) : topicDescription.get(here) ?? '')
    }
  }
  const prefixes = new Set<string>()
  for (const [parent, words] of next) for (const w of words.keys()) prefixes.add(parent ? `${parent} ${w}` : w)
  return {next, prefixes}
}

const flagWords = (f: FlagSpec): string[] => [`--${f.name}`, ...(f.char ? [`-${f.char}`] : []), ...(f.allowNo ? [`--no-${f.name}`] : [])]
const sq = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`

function bashScript(input: CompletionInput): string {
  const {next, prefixes} = model(input)
  const fn = `_${input.bin.replace(/[^A-Za-z0-9_]/g, '_')}_complete`
  const cases = (entries: [string, string][], fallback: string) =>
    [...entries.map(([pattern, body]) => `    ${pattern}) ${body} ;;`), `    *) ${fallback} ;;`].join('\n')
  const valueFlags: [string, string][] = []
  const optionLists: [string, string][] = []
  const flagLists: [string, string][] = [[sq(''), `echo ${sq('--help -h --version')}`]]
  for (const c of input.commands) {
    const path = c.path.join(' ')
    flagLists.push([sq(path), `echo ${sq(['--help', '-h', ...c.flags.flatMap(flagWords)].join(' '))}`])
    for (const f of c.flags.filter((x) => x.value)) {
      const pats = flagWords(f).filter((w) => !w.startsWith('--no-')).map((w) => sq(`${path}|${w}`)).join('|')
      valueFlags.push([pats, 'return 0'])
      if (f.options?.length) optionLists.push([pats, `echo ${sq(f.options.join(' '))}`])
    }
  }
  return `# ${input.bin} completion for bash: source <(${input.bin} completion bash), or save it in
# ~/.local/share/bash-completion/completions/${input.bin}. Generated from the commands; pool names come from the cluster
# (${input.bin} __complete pools, with the --kubeconfig/--context/-n typed on the line).
_${fn}_is_prefix() {
  case "$1" in
${cases([[[...prefixes].map(sq).join('|'), 'return 0']], 'return 1')}
  esac
}
_${fn}_next() {
  case "$1" in
${cases([...next].map(([parent, words]) => [sq(parent), `echo ${sq([...words.keys()].join(' '))}`]), ':')}
  esac
}
_${fn}_flags() {
  case "$1" in
${cases(flagLists, ':')}
  esac
}
_${fn}_takes_value() {
  case "$1|$2" in
    *'|--kubeconfig'|*'|--context'|*'|--namespace'|*'|-n'|*'|--output'|*'|-o') return 0 ;;
${cases(valueFlags, 'return 1')}
  esac
}
_${fn}_options() {
  case "$1|$2" in
    *'|--output'|*'|-o') echo 'table wide json yaml' ;;
${cases(optionLists, ':')}
  esac
}
_${fn}_names() {
  case "$1" in
${cases(Object.entries(NAMED_ARGUMENT).map(([path, what]) => [sq(path), `echo ${what}`]), ':')}
  esac
}
# (not "path": zsh ties that name to PATH)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local i w cmdpath="" npos=0 cluster=()
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${CLUSTER_FLAGS.join('|')}) cluster+=("$w" "\${COMP_WORDS[i+1]}"); i=$((i + 1)); continue ;;
      -*) if _${fn}_takes_value "$cmdpath" "$w"; then i=$((i + 1)); fi; continue ;;
    esac
    if _${fn}_is_prefix "\${cmdpath:+$cmdpath }$w"; then cmdpath="\${cmdpath:+$cmdpath }$w"; else npos=$((npos + 1)); fi
  done
  if [[ "$prev" == -* && $COMP_CWORD -gt 1 ]] && _${fn}_takes_value "$cmdpath" "$prev"; then
    local opts; opts=$(_${fn}_options "$cmdpath" "$prev")
    if [[ -n "$opts" ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
    return 0
  fi
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$(_${fn}_flags "$cmdpath")" -- "$cur")); return 0; fi
  local words; words=$(_${fn}_next "$cmdpath")
  if [[ -n "$words" ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); return 0; fi
  local what; what=$(_${fn}_names "$cmdpath")
  if [[ -n "$what" && $npos -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" __complete "$what" "\${cluster[@]}" 2>/dev/null)" -- "$cur"))
  fi
  return 0
}
complete -F ${fn} ${input.bin} kubectl-${input.bin}
`
}

function zshScript(input: CompletionInput): string {
  // zsh runs the bash function through bashcompinit: one implementation of the rules for both.
  return `#compdef ${input.bin} kubectl-${input.bin}
# ${input.bin} completion for zsh: source <(${input.bin} completion zsh) in ~/.zshrc (after compinit).
autoload -U +X bashcompinit && bashcompinit
${bashScript(input).split('\n').slice(3).join('\n')}`
}

/** fish: single-quoted strings escape only \\ and '. */
const fq = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`

function fishScript(input: CompletionInput): string {
  const {next, prefixes} = model(input)
  const b = input.bin
  const valueFlagWords = new Set<string>(['--kubeconfig', '--context', '--namespace', '-n', '--output', '-o'])
  for (const c of input.commands) for (const f of c.flags.filter((x) => x.value)) for (const w of flagWords(f)) if (!w.startsWith('--no-')) valueFlagWords.add(w)
  const lines = [
    `# ${b} completion for fish: ${b} completion fish > ~/.config/fish/completions/${b}.fish`,
    `# Generated from the commands; pool names come from the cluster (${b} __complete pools, with the cluster flags typed).`,
    `function __${b}_scan --description 'the command path typed so far, then the number of arguments after it'`,
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    '    set -l path',
    '    set -l npos 0',
    '    set -l skip 0',
    '    for w in $words',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $w',
    `            case ${[...valueFlagWords].map(fq).join(' ')}`,
    '                set skip 1',
    '                continue',
    "            case '-*'",
    '                continue',
    '        end',
    '        set -l candidate (string join " " $path $w)',
    '        switch $candidate',
    `            case ${[...prefixes].map(fq).join(' ')}`,
    '                set -a path $w',
    '            case "*"',
    '                set npos (math $npos + 1)',
    '        end',
    '    end',
    '    echo (string join " " $path)',
    '    echo $npos',
    'end',
    `function __${b}_at --description 'true when the command path typed so far is $argv[1]'`,
    `    set -l s (__${b}_scan)`,
    '    test "$s[1]" = "$argv[1]"',
    'end',
    `function __${b}_wants --description 'true when the command path typed so far is $argv[1] and no argument follows yet'`,
    `    set -l s (__${b}_scan)`,
    '    test "$s[1]" = "$argv[1]"; and test "$s[2]" = 0',
    'end',
    `function __${b}_names --description 'the names of $argv[1] (pools) in the cluster the command line names'`,
    '    set -l words (commandline -opc)',
    '    set -l cluster',
    '    for i in (seq 2 (count $words))',
    '        switch $words[$i]',
    `            case ${CLUSTER_FLAGS.map(fq).join(' ')}`,
    '                set -a cluster $words[$i] $words[(math $i + 1)]',
    "            case '--kubeconfig=*' '--context=*' '--namespace=*'",
    '                set -a cluster $words[$i]',
    '        end',
    '    end',
    `    ${b} __complete $argv[1] $cluster 2>/dev/null`,
    'end',
    `complete -c ${b} -f`,
  ]
  for (const [parent, words] of next) {
    for (const [w, d] of words) lines.push(`complete -c ${b} -n ${fq(`__${b}_at ${fq(parent)}`)} -a ${fq(w)}${d ? ` -d ${fq(d)}` : ''}`)
  }
  for (const c of input.commands) {
    const cond = fq(`__${b}_at ${fq(c.path.join(' '))}`)
    for (const f of c.flags) {
      const d = firstLine(f.description)
      const value = f.value ? (f.options?.length ? ` -x -a ${fq(f.options.join(' '))}` : ' -r') : ''
      lines.push(`complete -c ${b} -n ${cond} -l ${f.name}${f.char ? ` -s ${f.char}` : ''}${value}${f.name === 'kubeconfig' ? ' -F' : ''}${d ? ` -d ${fq(d)}` : ''}`)
      if (f.allowNo) lines.push(`complete -c ${b} -n ${cond} -l no-${f.name}`)
    }
  }
  for (const [path, what] of Object.entries(NAMED_ARGUMENT)) {
    lines.push(`complete -c ${b} -n ${fq(`__${b}_wants ${fq(path)}`)} -a ${fq(`(__${b}_names ${what})`)}`)
  }
  return lines.join('\n') + '\n'
}
