import {Args, Flags} from '@oclif/core'
import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {type PeerChangeResult, removePeer} from '../../lib/peer/ops.js'
import {renderPeerChange} from '../../lib/peer/render.js'

export default class PeerRemove extends ClusterCommand<typeof PeerRemove> {
  static override summary = 'Remove a BGP peer (and the password Secret lbctl made for it).'
  static override args = {name: Args.string({required: true, description: 'Peer name.'})}
  static override flags = {'dry-run': Flags.boolean({description: 'Show what would be removed; remove nothing.'})}
  static override examples = ['<%= config.bin %> peer remove peer-192-168-1-1']

  async run(): Promise<PeerChangeResult> {
    const {args, flags} = await this.parse(PeerRemove)
    const result = await removePeer(Kube.connect(this.target), this.target.namespace, args.name, {dryRun: flags['dry-run']})
    this.report(result, () => renderPeerChange(result))
    return result
  }
}
