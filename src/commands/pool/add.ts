import {Args} from '@oclif/core'
import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {changePool, type PoolChangeResult} from '../../lib/pool/ops.js'
import {renderChange} from '../../lib/pool/render.js'
import {poolWriteFlags} from './set.js'

export default class PoolAdd extends ClusterCommand<typeof PoolAdd> {
  static override summary = 'Add addresses to a pool, creating it if needed.'
  static override description = 'Adds ADDRESSES to pool NAME. Addresses the pool already has are left as they are; addresses of another pool are refused.'
  static override strict = false
  static override args = {
    name: Args.string({required: true, description: 'Pool name.'}),
    addresses: Args.string({required: true, description: 'Addresses to add.'}),
  }
  static override flags = {...poolWriteFlags}
  static override examples = ['<%= config.bin %> pool add public 192.168.1.96/29', '<%= config.bin %> pool add v6 2001:db8:ffff::/64 --advertise bgp']

  async run(): Promise<PoolChangeResult> {
    const {args, flags, argv} = await this.parse(PoolAdd)
    const result = await changePool(Kube.connect(this.target), this.target.namespace, {
      mode: 'add', name: args.name, addresses: (argv as string[]).slice(1), autoAssign: flags['auto-assign'], avoidBuggyIPs: flags['avoid-buggy-ips'],
      advertise: flags.advertise, force: flags.force, dryRun: flags['dry-run'],
    })
    this.report(result, () => renderChange(result))
    this.warnings(result.warnings)
    return result
  }
}
