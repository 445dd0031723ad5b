import {Args} from '@oclif/core'
import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {type PeerDetail, showPeer} from '../../lib/peer/ops.js'
import {renderPeer} from '../../lib/peer/render.js'

export default class PeerShow extends ClusterCommand<typeof PeerShow> {
  static override summary = 'Show one BGP peer.'
  static override args = {name: Args.string({required: true, description: 'Peer name.'})}
  static override examples = ['<%= config.bin %> peer show peer-192-168-1-1']

  async run(): Promise<PeerDetail> {
    const peer = await showPeer(Kube.connect(this.target), this.target.namespace, this.args.name)
    this.report(peer, () => renderPeer(peer))
    return peer
  }
}
