import type {Column} from '../cli/output.js'
import type {PeerChangeResult, PeerDetail, PeerSummary} from './ops.js'

export const peerColumns: Column<PeerSummary>[] = [
  {header: 'Name', get: (p) => p.name},
  {header: 'Address', get: (p) => p.address ?? (p.interface ? `interface ${p.interface}` : undefined)},
  {header: 'Peer ASN', get: (p) => p.asn ?? p.dynamicASN},
  {header: 'My ASN', get: (p) => p.myAsn},
  {header: 'Port', get: (p) => p.port, wide: true},
  {header: 'Hold time', get: (p) => p.holdTime, wide: true},
  {header: 'Password', get: (p) => p.password},
]

export function renderPeer(p: PeerDetail): string {
  const row = (k: string, v: unknown): string | undefined => (v === undefined || v === '' ? undefined : `${(k + ':').padEnd(16)} ${String(v)}`)
  return [
    row('Name', p.name), row('Namespace', p.namespace), row('Address', p.address), row('Interface', p.interface),
    row('Peer ASN', p.asn ?? p.dynamicASN), row('My ASN', p.myAsn), row('Port', p.port), row('Hold time', p.holdTime),
    row('Keepalive', p.keepaliveTime), row('Source address', p.sourceAddress), row('Router ID', p.routerID), row('eBGP multihop', p.ebgpMultiHop),
    row('BFD profile', p.bfdProfile), row('VRF', p.vrf), row('Password', p.password), row('Node selectors', p.nodeSelectors || undefined),
  ].filter((l) => l !== undefined).join('\n')
}

export function renderPeerChange(r: PeerChangeResult): string {
  const lines = [`BGP peer "${r.peer}" ${r.dryRun ? `would be ${r.action}` : r.action}`]
  const words = {'applied': 'applied', 'deleted': 'deleted', 'would-apply': 'would be applied', 'would-delete': 'would be deleted'}
  if (r.passwordSecret) lines.push(`  password Secret ${r.passwordSecret.name} ${words[r.passwordSecret.action]} (the password is never printed)`)
  return lines.join('\n')
}
