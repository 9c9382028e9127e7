/**
 * Shell completion scripts generated from the command table: commands, options, fixed option values,
 * and values asked of `pvetasks __complete KIND` (VMIDs, nodes, storages, clusters). The scripts call
 * the pvetasks the user typed, ignore its errors, and never run what it prints: a value is matched as
 * text, never expanded by the shell (bash's `compgen -W` would expand `$(...)` in a name).
 */
import { visibleCommands, type CommandSpec, type OptionSpec, type ValueKind } from './command-table.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Where a value comes from: fixed words, a kind asked of `__complete` (or files), or nothing to offer. */
type ValueSource = { words: readonly string[] } | { kind: ValueKind } | undefined;

function valueSource(spec: { choices?: readonly string[]; complete?: ValueKind }): ValueSource {
  if (spec.choices) return { words: spec.choices };
  if (spec.complete) return { kind: spec.complete };
  return undefined;
}

interface CommandShape {
  name: string;
  summary: string;
  options: Array<{ name: string; short?: string; spec: OptionSpec; values: ValueSource }>;
  operands: ValueSource;
}

function shapes(): CommandShape[] {
  return visibleCommands().map(([name, spec]: [string, CommandSpec]) => ({
    name,
    summary: spec.summary,
    options: Object.entries(spec.options).map(([option, optionSpec]) => ({
      name: option,
      ...(optionSpec.short ? { short: optionSpec.short } : {}),
      spec: optionSpec,
      values: valueSource(optionSpec),
    })),
    operands: spec.operands ? valueSource(spec.operands) : undefined,
  }));
}

/** Single-quoted for sh-like shells (bash, zsh): nothing inside is expanded. */
function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Single-quoted for fish, where a backslash escapes inside single quotes too. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, '\\$&')}'`;
}

/** A `case` body that sets `_pvt_words` (fixed) or `_pvt_kind` (asked) for a value source. */
function bashValues(source: ValueSource): string {
  if (!source) return '';
  return 'words' in source ? `_pvt_words=${shQuote(source.words.join(' '))}` : `_pvt_kind=${source.kind}`;
}

function bash(commands: CommandShape[]): string {
  const specCases = commands.map((command) => {
    const options = command.options.map((option) => `--${option.name}`).join(' ');
    const valued = command.options.filter((option) => option.spec.type === 'string').map((option) => `--${option.name}`);
    return `    ${command.name}) _pvt_opts=${shQuote(options)} _pvt_valued=${shQuote(` ${valued.join(' ')} `)} ;;`;
  });
  const valueCases = commands.flatMap((command) => [
    ...command.options
      .filter((option) => option.values)
      .map((option) => `    ${shQuote(`${command.name} --${option.name}`)}) ${bashValues(option.values)} ;;`),
    ...(command.operands ? [`    ${shQuote(`${command.name} operand`)}) ${bashValues(command.operands)} ;;`] : []),
  ]);
  return `# pvetasks completion for bash. Load it in this shell: source <(pvetasks completion bash)
# or for every new shell: pvetasks completion bash > ~/.local/share/bash-completion/completions/pvetasks

_pvetasks_spec() {
  case $1 in
${specCases.join('\n')}
    *) return 1 ;;
  esac
}

_pvetasks_values() {
  _pvt_words='' _pvt_kind=''
  case "$1 $2" in
${valueCases.join('\n')}
  esac
}

_pvetasks() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local cmd=board _pvt_opts _pvt_valued _pvt_words _pvt_kind word line
  local -a values=()
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 && $cur != -* ]]; then
    values=(${commands.map((command) => command.name).join(' ')})
  else
    [[ $COMP_CWORD -gt 1 && \${COMP_WORDS[1]} != -* ]] && cmd=\${COMP_WORDS[1]}
    _pvetasks_spec "$cmd" || return 0
    # --option=value arrives as three words when = breaks words (the default).
    local option=$prev
    [[ $prev == = && $COMP_CWORD -gt 2 ]] && option=\${COMP_WORDS[COMP_CWORD-2]}
    if [[ $_pvt_valued == *" $option "* ]]; then
      _pvetasks_values "$cmd" "$option"
    elif [[ $cur == -* ]]; then
      _pvt_words=$_pvt_opts _pvt_kind=''
    else
      _pvetasks_values "$cmd" operand
    fi
    if [[ $_pvt_kind == file ]]; then
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      return 0
    elif [[ -n $_pvt_kind ]]; then
      local exe=\${COMP_WORDS[0]}
      [[ $exe == "~/"* ]] && exe=$HOME/\${exe#"~/"}
      while IFS=$'\\t' read -r word line; do
        [[ -n $word ]] && values+=("$word")
      done < <("$exe" __complete "$_pvt_kind" 2>/dev/null)
    else
      read -r -a values <<< "$_pvt_words"
    fi
  fi
  # ':' breaks words in bash (COMP_WORDBREAKS): east:10 arrives as east, : and 10. Match what was typed
  # since the last blank: a value with a ':' (east:101) whole, any other after the typed part's last ':'
  # (pve2:11 -> 110); and reply with what bash replaces, the part after that ':'.
  local typed=$cur head full
  if [[ $COMP_WORDBREAKS == *:* ]]; then
    line=\${COMP_LINE:0:COMP_POINT}
    line=\${line##*[[:space:]]}
    [[ $line == *:* ]] && typed=\${line##*=}
  fi
  head=\${typed%"\${typed##*:}"}
  for word in "\${values[@]}"; do
    if [[ $word == *:* ]]; then full=$word; else full=$head$word; fi
    [[ $full == "$typed"* ]] || continue
    [[ $COMP_WORDBREAKS == *:* ]] && full=\${full#"$head"}
    COMPREPLY+=("$full")
  done
  return 0
}

complete -F _pvetasks pvetasks
`;
}

/** zsh's _arguments wants `[`, `]` and `:` escaped in descriptions. */
function zshText(text: string): string {
  return text.replace(/[[\]:\\]/g, '\\$&').replace(/'/g, `'\\''`);
}

function zshAction(source: ValueSource): string {
  if (!source) return ' ';
  if ('words' in source) return `(${source.words.join(' ')})`;
  return source.kind === 'file' ? '_files' : `_pvetasks_values ${source.kind}`;
}

function zshSpecs(command: CommandShape): string[] {
  const specs = command.options.map((option) => {
    const repeat = option.spec.multiple ? '*' : '';
    const names = option.short ? `{-${option.short},--${option.name}}` : `--${option.name}`;
    const help = `[${zshText(option.spec.help)}]`;
    const head = option.short ? `'(-${option.short} --${option.name})'${names}'` : `'${repeat}${names}`;
    if (option.spec.type === 'boolean') return `${head}${help}'`;
    return `${head}=${help}:${zshText(option.spec.arg ?? 'value')}:${zshAction(option.values)}'`;
  });
  if (command.operands) specs.push(`'*:operand:${zshAction(command.operands)}'`);
  return specs;
}

function zsh(commands: CommandShape[]): string {
  const cases = commands.map((command) => `    ${command.name}) _arguments -s -S \\\n      ${zshSpecs(command).join(' \\\n      ')} ;;`);
  const menu = commands.map((command) => shQuote(`${command.name}:${command.summary.replace(/:/g, '\\:')}`)).join(' ');
  return `#compdef pvetasks
# pvetasks completion for zsh. Load it in this shell: source <(pvetasks completion zsh)
# or for every new shell: pvetasks completion zsh > "\${fpath[1]}/_pvetasks"

# _arguments puts its own options first: the kind is the last argument.
_pvetasks_values() {
  local kind=\${@[-1]} word rest
  local -a values
  # Each line is a value, a tab and its description; a value is matched as text, never evaluated.
  while IFS=$'\\t' read -r word rest; do
    [[ -n $word ]] && values+=("\${word//:/\\\\:}\${rest:+:\${rest//:/ }}")
  done < <(\${~_pvt_exe} __complete $kind 2>/dev/null)
  _describe -t $kind $kind values
}

_pvetasks() {
  # The pvetasks being typed answers __complete; the command's name leaves words below.
  local cmd=board _pvt_exe=$words[1]
  if (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then
    local -a commands=(${menu})
    _describe -t commands command commands
    return
  fi
  if [[ $words[2] != -* ]]; then
    cmd=$words[2]
    shift words
    (( CURRENT-- ))
  fi
  case $cmd in
${cases.join('\n')}
  esac
}

if [[ $funcstack[1] == _pvetasks ]]; then
  _pvetasks "$@"
else
  compdef _pvetasks pvetasks
fi
`;
}

function fishValues(source: ValueSource): string {
  if (!source) return '';
  if ('words' in source) return ` -x -a ${fishQuote(source.words.join(' '))}`;
  return source.kind === 'file' ? ' -r -F' : ` -x -a '(__pvetasks_values ${source.kind})'`;
}

function fish(commands: CommandShape[]): string {
  const lines = commands.flatMap((command) => {
    const when = `-n '__pvetasks_using ${command.name}'`;
    return [
      `complete -c pvetasks -n __pvetasks_no_command -a ${command.name} -d ${fishQuote(command.summary)}`,
      ...command.options.map((option) => {
        const short = option.short ? ` -s ${option.short}` : '';
        return `complete -c pvetasks ${when}${short} -l ${option.name}${fishValues(option.values)} -d ${fishQuote(option.spec.help)}`;
      }),
      ...(command.operands ? [`complete -c pvetasks ${when}${fishValues(command.operands).replace(' -x', '')}`] : []),
    ];
  });
  return `# pvetasks completion for fish: pvetasks completion fish > ~/.config/fish/completions/pvetasks.fish

# The command being completed: the first word after pvetasks, unless it is an option (the board).
function __pvetasks_command
    set -l words (commandline -opc)
    if set -q words[2]; and not string match -q -- '-*' $words[2]
        echo $words[2]
    else
        echo board
    end
end

function __pvetasks_using
    test (__pvetasks_command) = $argv[1]
end

function __pvetasks_no_command
    test (count (commandline -opc)) -eq 1
end

# Values asked of the pvetasks being typed: one per line, with a tab and a description.
function __pvetasks_values
    set -l exe (string replace -r '^~/' "$HOME/" -- (commandline -opc)[1])
    command $exe __complete $argv[1] 2>/dev/null
end

complete -c pvetasks -f
${lines.join('\n')}
`;
}

/** The completion script for `shell`, from the command table. */
export function completionScript(shell: Shell): string {
  const commands = shapes();
  switch (shell) {
    case 'bash':
      return bash(commands);
    case 'zsh':
      return zsh(commands);
    case 'fish':
      return fish(commands);
  }
}
