import {Flags} from '@oclif/core'
import {ClusterCommand} from '../../lib/cli/base.js'
import {Kube} from '../../lib/kube/client.js'
import {addPeer, type PeerChangeResult} from '../../lib/peer/ops.js'
import {readPassword} from '../../lib/peer/password.js'
import {renderPeerChange} from '../../lib/peer/render.js'
import {peerFlags} from '../install.js'

export default class PeerAdd extends ClusterCommand<typeof PeerAdd> {
  static override summary = 'Add (or change) a BGP peer.'
  static override description = `Creates or updates a BGPPeer. The input is checked before anything is written: the address, AS numbers (1-4294967294, not AS_TRANS 23456), the port, hold time (0 or 3-65535 s, RFC 4271) and keepalive (below the hold time). The TCP MD5 password comes from --password-file, $LBCTL_BGP_PASSWORD or --ask-password, never a flag; it is kept in a Secret and never printed.`
  static override flags = {
    ...peerFlags,
    'peer-address': Flags.string({required: true, description: 'The BGP router\'s address.'}),
    'peer-asn': Flags.string({required: true, description: 'The router\'s AS number.'}),
    'my-asn': Flags.string({required: true, description: 'The AS number the nodes speak as.'}),
    'peer-port': Flags.string({description: 'The router\'s TCP port (default 179).'}),
    'hold-time': Flags.string({description: 'BGP hold time, e.g. 90s.'}),
    'keepalive-time': Flags.string({description: 'BGP keepalive interval, e.g. 30s.'}),
    'source-address': Flags.string({description: 'Source address of the sessions.'}),
    'ebgp-multihop': Flags.boolean({allowNo: true, description: 'The router is more than one hop away.'}),
    'dry-run': Flags.boolean({description: 'Check and show the change; change nothing.'}),
  }
  static override examples = [
    '<%= config.bin %> peer add --peer-address 192.168.1.1 --peer-asn 64500 --my-asn 64512',
    'LBCTL_BGP_PASSWORD=… <%= config.bin %> peer add --peer-name tor --peer-address 2001:db8::1 --peer-asn 64500 --my-asn 64512 --hold-time 30s',
  ]

  async run(): Promise<PeerChangeResult> {
    const {flags} = await this.parse(PeerAdd)
    const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY
    const pw = await readPassword({
      file: flags['password-file'], prompt: flags['ask-password'],
      ask: interactive ? async () => (await import('@inquirer/prompts')).password({message: 'BGP password:'}, {output: process.stderr}) : undefined,
    })
    const result = await addPeer(Kube.connect(this.target), this.target.namespace, {
      name: flags['peer-name'], address: flags['peer-address'], asn: flags['peer-asn'], myAsn: flags['my-asn'], port: flags['peer-port'],
      holdTime: flags['hold-time'], keepaliveTime: flags['keepalive-time'], sourceAddress: flags['source-address'], ebgpMultiHop: flags['ebgp-multihop'], password: pw,
    }, {dryRun: flags['dry-run']})
    this.report(result, () => renderPeerChange(result))
    return result
  }
}
