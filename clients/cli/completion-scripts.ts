/**
 * `netlab completion bash|zsh|fish`: the shell side of completion. Each script asks the CLI
 * itself for candidates (`netlab __complete <words before the cursor...> <word under it>`),
 * so the shells complete exactly what the session's Tab completes.
 */

/** The shells `netlab completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

const bash = `# netlab completion for bash: source <(netlab completion bash)
_netlab_complete() {
  local IFS=$'\\n'
  COMPREPLY=($("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _netlab_complete netlab
`

const zsh = `#compdef netlab
# netlab completion for zsh: source <(netlab completion zsh)
_netlab_complete() {
  local -a candidates
  candidates=("\${(@f)$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -- "\${candidates[@]}"
}
compdef _netlab_complete netlab
`

const fish = `# netlab completion for fish: netlab completion fish | source
complete -c netlab -f -a '(netlab __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`

/** completionScript is the script for `shell`. */
export function completionScript(shell: Shell): string {
  return { bash, zsh, fish }[shell]
}
