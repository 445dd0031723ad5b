// The status objects a speaker should have written, computed from what it announces (pure). ServiceL2Status and
// ServiceBGPStatus are named and labelled as MetalLB does (API-COMPAT.md); BGPPeerSession is lbctl's (CONTRACTS.md).
import {createHash} from 'node:crypto'
import {Labels} from '../../lib/api/constants.js'
import type {BGPSessionStateStatus, KubeObject} from '../../lib/api/types.js'

/** A status object this node wants to exist: a name, its labels and its status. */
export interface DesiredStatus {
  name: string
  labels: Record<string, string>
  status: Record<string, unknown>
}

export const PEER_SESSION_LABELS = {node: 'lbctl.io/node', peer: 'lbctl.io/peer'} as const

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16)

/** `l2-<hash>` / `bgp-<hash>` of node and service: stable, so every write of one fact goes to one object. */
export const statusName = (prefix: 'l2' | 'bgp', node: string, service: string): string => `${prefix}-${shortHash(`${node}/${service}`)}`

const splitKey = (key: string): [string, string] => {
  const i = key.indexOf('/')
  return [key.slice(0, i), key.slice(i + 1)]
}

const serviceLabels = (node: string, ns: string, name: string): Record<string, string> =>
  ({[Labels.node]: node, [Labels.serviceName]: name, [Labels.serviceNamespace]: ns})

/** One ServiceL2Status per service this node announces in layer 2, with the interfaces it answers on. */
export function desiredL2Statuses(node: string, owned: ReadonlyArray<{interfaces: string[]; services: string[]}>): DesiredStatus[] {
  const bySvc = new Map<string, Set<string>>()
  for (const o of owned) {
    for (const s of o.services) {
      const set = bySvc.get(s) ?? new Set()
      for (const i of o.interfaces) set.add(i)
      bySvc.set(s, set)
    }
  }
  return [...bySvc].sort().map(([key, ifs]) => {
    const [ns, name] = splitKey(key)
    return {name: statusName('l2', node, key), labels: serviceLabels(node, ns, name),
      status: {node, serviceName: name, serviceNamespace: ns, interfaces: [...ifs].sort().map((n) => ({name: n}))}}
  })
}

/** One ServiceBGPStatus per service this node advertises, with the BGPPeers it is advertised to. */
export function desiredBgpStatuses(node: string, announced: ReadonlyMap<string, readonly string[]>): DesiredStatus[] {
  return [...announced].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, peers]) => {
    const [ns, name] = splitKey(key)
    return {name: statusName('bgp', node, key), labels: serviceLabels(node, ns, name),
      status: {node, serviceName: name, serviceNamespace: ns, peers: [...peers].sort()}}
  })
}

/** A DNS-1123 name from node and peer, at most 253 characters (a hash keeps long ones distinct). */
export function peerSessionName(node: string, peer: string): string {
  const raw = `${node}-${peer}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
  if (raw.length <= 253 && raw === `${node}-${peer}`) return raw
  return `${raw.slice(0, 253 - 17).replace(/[^a-z0-9]+$/, '')}-${shortHash(`${node}/${peer}`)}`
}

/** Label values are at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(v: string): string {
  const s = v.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63)
  return s.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
}

export function desiredPeerSessions(node: string, sessions: readonly BGPSessionStateStatus[]): DesiredStatus[] {
  return sessions
    .filter((s) => s.peer)
    .map((s) => ({name: peerSessionName(node, s.peer!), labels: {[PEER_SESSION_LABELS.node]: labelValue(node), [PEER_SESSION_LABELS.peer]: labelValue(s.peer!)},
      status: {...s, node} as Record<string, unknown>}))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
}

export interface StatusPlan {
  create: DesiredStatus[]
  update: DesiredStatus[]
  delete: string[]
}

/**
 * What to write so that the objects labelled with `node` are exactly `desired`; and, when `cleanFor` is given (this
 * node is the cleaner), also delete objects of nodes that are not alive.
 */
export function planStatus(desired: readonly DesiredStatus[], existing: readonly KubeObject[], nodeLabel: string, node: string,
  cleanFor?: ReadonlySet<string>): StatusPlan {
  const plan: StatusPlan = {create: [], update: [], delete: []}
  const have = new Map(existing.map((o) => [o.metadata.name, o]))
  const want = new Set(desired.map((d) => d.name))
  for (const d of desired) {
    const cur = have.get(d.name)
    if (!cur) plan.create.push(d)
    else if (!sameJson(cur.status ?? {}, d.status) || !labelsInclude(cur.metadata.labels, d.labels)) plan.update.push(d)
  }
  for (const o of existing) {
    if (want.has(o.metadata.name)) continue
    const owner = o.metadata.labels?.[nodeLabel]
    if (owner === node || (cleanFor && owner !== undefined && !cleanFor.has(owner))) plan.delete.push(o.metadata.name)
  }
  plan.delete.sort()
  return plan
}

/** The live node that removes the status objects of dead ones: the lowest name, so exactly one does it. */
export const cleaner = (live: ReadonlySet<string>): string | undefined => [...live].sort()[0]

const labelsInclude = (have: Record<string, string> | undefined, want: Record<string, string>): boolean =>
  Object.entries(want).every(([k, v]) => have?.[k] === v)

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b))
}
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== null).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, canon(x)]))
  return v
}
