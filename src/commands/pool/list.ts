import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {listPools, type PoolSummary} from '../../lib/pool/ops.js'
import {poolColumns} from '../../lib/pool/render.js'

export default class PoolList extends ClusterCommand<typeof PoolList> {
  static override summary = 'List address pools with their size, use and advertisements.'
  static override description = 'Counts come from the services\' status.loadBalancer.ingress, so they are right for upstream MetalLB too, and exact for IPv6 pools.'
  static override examples = ['<%= config.bin %> pool list', '<%= config.bin %> pool list -o wide', '<%= config.bin %> pool list --json']

  async run(): Promise<{pools: PoolSummary[]}> {
    const pools = await listPools(Kube.connect(this.target), this.target.namespace)
    this.report({pools}, {rows: pools, columns: poolColumns})
    return {pools}
  }
}
