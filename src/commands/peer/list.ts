import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {listPeers, type PeerSummary} from '../../lib/peer/ops.js'
import {peerColumns} from '../../lib/peer/render.js'

export default class PeerList extends ClusterCommand<typeof PeerList> {
  static override summary = 'List BGP peers (passwords are shown only as where they are kept).'
  static override examples = ['<%= config.bin %> peer list', '<%= config.bin %> peer list -o wide']

  async run(): Promise<{peers: PeerSummary[]}> {
    const peers = await listPeers(Kube.connect(this.target), this.target.namespace)
    this.report({peers}, {rows: peers, columns: peerColumns})
    return {peers}
  }
}
