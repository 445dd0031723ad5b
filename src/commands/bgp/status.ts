import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import type {SessionRow} from '../../lib/status/bgp.js'

export default class BgpStatus extends ClusterCommand<typeof BgpStatus> {
  static override summary = 'Show BGP sessions per node and peer: state, uptime, prefixes, last error (decoded).'
  static override description = 'From the speakers\' BGPPeerSession objects (lbctl.io). Upstream MetalLB keeps sessions in FRR, not in the API.'
  static override examples = ['<%= config.bin %> bgp status', '<%= config.bin %> bgp status -o wide', '<%= config.bin %> bgp status --json']

  async run(): Promise<{sessions: SessionRow[]}> {
    const [{bgpStatus}, {sessionColumns}] = await Promise.all([import('../../lib/status/bgp.js'), import('../../lib/status/render.js')])
    const result = await bgpStatus(Kube.connect(this.target), this.target.namespace)
    this.report(result, {rows: result.sessions, columns: sessionColumns})
    return result
  }
}
