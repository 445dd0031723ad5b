// `lbctl peer add|list|show|remove`: BGPPeers, with the password kept in a Secret and never printed.
import {Kinds, Labels} from '../api/constants.js'
import type {BGPPeer} from '../api/types.js'
import {badInput, conflict, missing} from '../errors.js'
import type {Kube} from '../kube/client.js'
import {type PeerInput, passwordSecretName, peerManifests, validatePeer} from './validate.js'

const SECRET = {apiVersion: 'v1', kind: 'Secret', plural: 'secrets'}
const LABELS = {[Labels.managedBy]: 'lbctl', 'app.kubernetes.io/part-of': 'lbctl'}

export interface PeerSummary {
  name: string
  namespace: string
  address?: string
  interface?: string
  asn?: number
  dynamicASN?: string
  myAsn: number
  port: number
  holdTime?: string
  keepaliveTime?: string
  ebgpMultiHop: boolean
  /** Where the password is (never what it is). */
  password: 'none' | 'inline' | `secret ${string}`
  nodeSelectors: number
}

export interface PeerDetail extends PeerSummary {
  sourceAddress?: string
  routerID?: string
  bfdProfile?: string
  vrf?: string
}

export interface PeerChangeResult {
  peer: string
  namespace: string
  action: 'created' | 'updated' | 'unchanged' | 'deleted'
  dryRun: boolean
  passwordSecret?: {name: string; action: 'applied' | 'deleted' | 'would-apply' | 'would-delete'}
}

async function requireCrds(kube: Kube): Promise<void> {
  if (!(await kube.serves(Kinds.BGPPeer))) {
    throw missing('CRDS_MISSING', `the cluster behind context "${kube.context}" (${kube.server}) has no BGPPeer kind: the metallb.io CRDs are not installed`, 'Install the load balancer first: `lbctl install --mode bgp`.')
  }
}

function summarize(p: BGPPeer): PeerDetail {
  const s = p.spec ?? ({} as NonNullable<BGPPeer['spec']>)
  const out: PeerDetail = {
    name: p.metadata.name, namespace: p.metadata.namespace ?? '', address: s.peerAddress, interface: s.interface, asn: s.peerASN, dynamicASN: s.dynamicASN,
    myAsn: s.myASN, port: s.peerPort ?? 179, holdTime: s.holdTime, keepaliveTime: s.keepaliveTime, ebgpMultiHop: s.ebgpMultiHop ?? false,
    password: s.passwordSecret ? `secret ${s.passwordSecret.name}` : s.password ? 'inline' : 'none', nodeSelectors: s.nodeSelectors?.length ?? 0,
    sourceAddress: s.sourceAddress, routerID: s.routerID, bfdProfile: s.bfdProfile, vrf: s.vrf,
  }
  return out
}

export async function listPeers(kube: Kube, namespace: string): Promise<PeerSummary[]> {
  await requireCrds(kube)
  const peers = (await kube.list<BGPPeer>(Kinds.BGPPeer, {namespace})).items
  return peers.map((p) => {
    const {sourceAddress: _s, routerID: _r, bfdProfile: _b, vrf: _v, ...rest} = summarize(p)
    return rest
  }).sort((a, b) => a.name.localeCompare(b.name))
}

export async function showPeer(kube: Kube, namespace: string, name: string): Promise<PeerDetail> {
  await requireCrds(kube)
  const p = await kube.get<BGPPeer>(Kinds.BGPPeer, name, namespace)
  if (!p) throw await notFound(kube, namespace, name)
  return summarize(p)
}

async function notFound(kube: Kube, namespace: string, name: string): Promise<Error> {
  const names = (await kube.list<BGPPeer>(Kinds.BGPPeer, {namespace})).items.map((p) => p.metadata.name)
  return badInput('PEER_NOT_FOUND', `there is no BGP peer "${name}" in namespace ${namespace}`, names.length ? `Peers here: ${names.join(', ')} (\`lbctl peer list\`).` : 'Add one with `lbctl peer add --peer-address A --peer-asn N --my-asn M`.')
}

/** Create or update a peer (and its password Secret). Another peer with the same address, port and VRF is refused. */
export async function addPeer(kube: Kube, namespace: string, input: PeerInput, opts: {dryRun: boolean}): Promise<PeerChangeResult> {
  const v = validatePeer(input)
  await requireCrds(kube)
  const peers = (await kube.list<BGPPeer>(Kinds.BGPPeer, {namespace})).items
  const clash = peers.find((p) => p.metadata.name !== v.name && p.spec?.peerAddress && p.spec.peerAddress === v.address && (p.spec.peerPort ?? 179) === (v.port ?? 179) && !p.spec.vrf && !p.spec.nodeSelectors?.length)
  if (clash) throw conflict('PEER_EXISTS', `BGP peer "${clash.metadata.name}" already has address ${v.address}: two sessions to one router from the same nodes would fight`, `Change it instead: \`lbctl peer add --peer-name ${clash.metadata.name} …\`, or remove it first.`)
  const existing = peers.find((p) => p.metadata.name === v.name)
  const m = peerManifests(v, namespace, LABELS)
  // A peer that had a password keeps it unless a new one is given.
  if (!m.secret && existing?.spec?.passwordSecret) m.peer.spec!.passwordSecret = existing.spec.passwordSecret
  // Unchanged when every field lbctl sends already has that value (the API server's defaults fill in the rest).
  const have = (existing?.spec ?? {}) as Record<string, unknown>
  const same = existing && !m.secret && Object.entries(m.peer.spec!).every(([k, v]) => JSON.stringify(v) === JSON.stringify(have[k]))
  const result: PeerChangeResult = {peer: v.name, namespace, action: existing ? (same ? 'unchanged' : 'updated') : 'created', dryRun: opts.dryRun}
  if (m.secret) result.passwordSecret = {name: m.secret.metadata.name, action: opts.dryRun ? 'would-apply' : 'applied'}
  if (opts.dryRun || result.action === 'unchanged') return result
  if (m.secret) await kube.apply(m.secret)
  await kube.apply(m.peer)
  return result
}

export async function removePeer(kube: Kube, namespace: string, name: string, opts: {dryRun: boolean}): Promise<PeerChangeResult> {
  await requireCrds(kube)
  const p = await kube.get<BGPPeer>(Kinds.BGPPeer, name, namespace)
  if (!p) throw await notFound(kube, namespace, name)
  const result: PeerChangeResult = {peer: name, namespace, action: 'deleted', dryRun: opts.dryRun}
  const secretName = p.spec?.passwordSecret?.name
  // Only the Secret lbctl made for this peer goes with it; a Secret the user made is theirs.
  const secret = secretName === passwordSecretName(name) ? await kube.get<{metadata?: {name?: string; labels?: Record<string, string>}}>(SECRET, secretName, namespace) : undefined
  const ours = secret?.metadata?.labels?.[Labels.managedBy] === 'lbctl'
  if (ours) result.passwordSecret = {name: secretName!, action: opts.dryRun ? 'would-delete' : 'deleted'}
  if (opts.dryRun) return result
  await kube.delete(Kinds.BGPPeer, name, namespace)
  if (ours) await kube.delete(SECRET, secretName!, namespace)
  return result
}
