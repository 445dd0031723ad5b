import {Args, Flags} from '@oclif/core'
import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {changePool, type PoolChangeResult} from '../../lib/pool/ops.js'
import {poolSetTarget} from '../../lib/pool/plan.js'
import {renderChange} from '../../lib/pool/render.js'

export const poolWriteFlags = {
  'auto-assign': Flags.boolean({allowNo: true, description: 'Hand out addresses from this pool to services that do not ask for a pool (default: true for a new pool).'}),
  'avoid-buggy-ips': Flags.boolean({allowNo: true, description: 'Skip addresses ending in .0 and .255.'}),
  advertise: Flags.option({options: ['l2', 'bgp', 'none'] as const, description: 'When no L2Advertisement or BGPAdvertisement selects the pool, create one of this kind (default: the mode `lbctl install` recorded, else the kind of the advertisements that exist, else l2).'})(),
  force: Flags.boolean({description: 'Take addresses away even when services hold them.'}),
  'dry-run': Flags.boolean({description: 'Show what would change; change nothing.'}),
}

export default class PoolSet extends ClusterCommand<typeof PoolSet> {
  static override summary = 'Set the addresses of a pool, creating it if needed.'
  static override description = `Replaces the pool's addresses with ADDRESSES (CIDRs, a-b ranges or single addresses, IPv4 or IPv6; separate them with spaces or commas). The input is checked before anything is written: malformed addresses, overlaps within the input and with other pools are refused. Taking away addresses that services hold is refused unless --force. When nothing advertises the pool, an advertisement is created: of the kind --advertise names, else the one the installed mode calls for (ConfigMap lbctl-install), else of the kind that exists.`
  static override strict = false
  static override args = {addresses: Args.string({required: true, description: 'Addresses, e.g. 192.168.1.88-192.168.1.89 or "192.168.1.240/28, 10.0.0.0/28".'})}
  static override flags = {
    name: Flags.string({description: 'Pool name (default: "default"); or give it as the first argument, as in `pool add`.'}),
    ...poolWriteFlags,
  }
  static override examples = [
    '<%= config.bin %> pool set 192.168.1.88-192.168.1.89',
    '<%= config.bin %> pool set public 192.168.1.240/28 10.0.0.0/28',
    '<%= config.bin %> pool set "192.168.1.240/28, 10.0.0.0/28" --name public',
    '<%= config.bin %> pool set 2001:db8:ffff::/64 --name v6 --no-auto-assign',
    '<%= config.bin %> pool set 192.168.1.88-192.168.1.95 --dry-run',
  ]

  async run(): Promise<PoolChangeResult> {
    const {flags, argv} = await this.parse(PoolSet)
    const {name, addresses} = poolSetTarget(argv as string[], flags.name)
    const result = await changePool(Kube.connect(this.target), this.target.namespace, {
      mode: 'set', name, addresses, autoAssign: flags['auto-assign'], avoidBuggyIPs: flags['avoid-buggy-ips'],
      advertise: flags.advertise, force: flags.force, dryRun: flags['dry-run'],
    })
    this.report(result, () => renderChange(result))
    this.warnings(result.warnings)
    return result
  }
}
