import {Args, Flags} from '@oclif/core'
import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {removePool, type PoolChangeResult} from '../../lib/pool/ops.js'
import {renderChange} from '../../lib/pool/render.js'

export default class PoolRemove extends ClusterCommand<typeof PoolRemove> {
  static override summary = 'Remove a pool, or some addresses from it.'
  static override description = 'Without ADDRESSES, deletes pool NAME (and the advertisement lbctl created for it). With ADDRESSES, takes just those out of the pool. Refused when services hold the addresses, unless --force.'
  static override strict = false
  static override args = {
    name: Args.string({required: true, description: 'Pool name.'}),
    addresses: Args.string({required: false, description: 'Addresses to take out (default: the whole pool).'}),
  }
  static override flags = {
    force: Flags.boolean({description: 'Remove even when services hold the addresses (they lose them).'}),
    'dry-run': Flags.boolean({description: 'Show what would change; change nothing.'}),
  }
  static override examples = ['<%= config.bin %> pool remove public', '<%= config.bin %> pool remove public 192.168.1.96/29 --dry-run']

  async run(): Promise<PoolChangeResult> {
    const {args, flags, argv} = await this.parse(PoolRemove)
    const result = await removePool(Kube.connect(this.target), this.target.namespace, {
      name: args.name, addresses: (argv as string[]).slice(1), force: flags.force, dryRun: flags['dry-run'],
    })
    this.report(result, () => renderChange(result))
    this.warnings(result.warnings)
    return result
  }
}
