import {Args} from '@oclif/core'
import {ClusterCommand} from '../lib/cli/base.js'
import {Kube} from '../lib/kube/client.js'
import {poolNames} from '../lib/pool/ops.js'

/** What the completion scripts call (`lbctl __complete pools`): names, one per line. Hidden from help. */
export default class Complete extends ClusterCommand<typeof Complete> {
  static override hidden = true
  static override enableJsonFlag = false
  static override summary = 'List names for shell completion (used by the scripts of `lbctl completion`).'
  static override examples = ['<%= config.bin %> __complete pools -n metallb-system']
  static override args = {what: Args.string({required: true, options: ['pools'], description: 'What to list.'})}

  async run(): Promise<{names: string[]}> {
    const names = await poolNames(Kube.connect(this.target), this.target.namespace)
    if (names.length) this.log(names.join('\n'))
    return {names}
  }
}
