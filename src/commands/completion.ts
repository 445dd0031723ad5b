import {Args, Command} from '@oclif/core'
import {LbctlCommand} from '../lib/cli/base.js'
import {type CommandSpec, completionScript, type Shell, SHELLS} from '../lib/cli/completion.js'

export default class Completion extends LbctlCommand<typeof Completion> {
  static override enableJsonFlag = false
  static override summary = 'Print a shell completion script (bash, zsh, fish) that also completes pool names from the cluster.'
  static override description = `Commands, subcommands, flags and their values are completed; the pool of "pool show/remove/set/add NAME" is completed with the names of the pools in the cluster (the --kubeconfig, --context and -n on the line are used, else KUBECONFIG).
bash: source <(lbctl completion bash)   (or save it in ~/.local/share/bash-completion/completions/lbctl)
zsh:  source <(lbctl completion zsh)    (in ~/.zshrc, after compinit)
fish: lbctl completion fish > ~/.config/fish/completions/lbctl.fish`
  static override examples = ['<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/lbctl', '<%= config.bin %> completion fish > ~/.config/fish/completions/lbctl.fish']
  static override args = {shell: Args.string({required: true, options: [...SHELLS], description: 'The shell.'})}

  async run(): Promise<void> {
    const commands: CommandSpec[] = this.config.commands
      .filter((c) => !c.hidden && c.id !== 'autocomplete' && !c.id.startsWith('autocomplete:'))
      .map((c) => ({
        path: c.id.split(':'),
        summary: c.summary ?? c.description,
        flags: Object.values(c.flags as Record<string, Command.Flag.Any>).filter((f) => !f.hidden).map((f) => ({
          name: f.name, char: f.char, value: f.type === 'option', options: f.type === 'option' ? f.options : undefined,
          allowNo: f.type === 'boolean' ? f.allowNo : undefined, description: f.summary ?? f.description,
        })),
      }))
    this.log(completionScript(this.args.shell as Shell, {bin: this.config.bin, commands, topics: this.config.topics}).trimEnd())
  }
}
