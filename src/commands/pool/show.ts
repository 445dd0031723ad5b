import {Args} from '@oclif/core'
import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {type PoolDetail, showPool} from '../../lib/pool/ops.js'
import {renderDetail} from '../../lib/pool/render.js'

export default class PoolShow extends ClusterCommand<typeof PoolShow> {
  static override summary = 'Show one pool and which services hold which of its addresses.'
  static override args = {name: Args.string({required: true, description: 'Pool name.'})}
  static override examples = ['<%= config.bin %> pool show default', '<%= config.bin %> pool show default -o yaml']

  async run(): Promise<PoolDetail> {
    const pool = await showPool(Kube.connect(this.target), this.target.namespace, this.args.name)
    this.report(pool, () => renderDetail(pool))
    return pool
  }
}
