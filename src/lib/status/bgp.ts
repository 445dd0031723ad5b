// `lbctl bgp status`: the sessions per node and peer, from lbctl's BGPPeerSession objects.
import {missing} from '../cli/errors.js'
import type {Kube} from '../kube/client.js'
import {describeSessionError} from '../doctor/cluster-checks.js'
import {DoctorKinds} from '../doctor/kinds.js'
import type {BGPPeerSession} from '../doctor/snapshot.js'

export interface SessionRow {
  node: string
  peer: string
  peerAddress?: string
  state: string
  /** Since establishedSince, e.g. "3h12m"; undefined when not established. */
  uptime?: string
  establishedSince?: string
  prefixes?: number
  bfd?: string
  /** Decoded: "received NOTIFICATION 2/2 Bad Peer AS — …". */
  lastError?: string
}

/** "3d4h", "5m12s", "42s". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return `${d}d${h}h`
  if (h > 0) return `${h}h${m}m`
  if (m > 0) return `${m}m${s % 60}s`
  return `${s}s`
}

export function sessionRows(sessions: BGPPeerSession[], now: number): SessionRow[] {
  return sessions.map((x) => {
    const st = x.status ?? {}
    const since = st.establishedSince ? Date.parse(st.establishedSince) : NaN
    return {
      node: st.node ?? x.metadata.labels?.['lbctl.io/node'] ?? '?',
      peer: st.peer ?? x.metadata.labels?.['lbctl.io/peer'] ?? '?',
      peerAddress: st.peerAddress,
      state: st.state ?? 'Unknown',
      establishedSince: st.establishedSince,
      uptime: st.state === 'Established' && Number.isFinite(since) ? formatAge(now - since) : undefined,
      prefixes: st.prefixesAdvertised,
      bfd: st.bfdState,
      lastError: describeSessionError(x),
    }
  }).sort((a, b) => a.node.localeCompare(b.node) || a.peer.localeCompare(b.peer))
}

export async function bgpStatus(kube: Kube, namespace: string, now: () => number = Date.now): Promise<{sessions: SessionRow[]}> {
  if (!(await kube.serves(DoctorKinds.BGPPeerSession))) {
    throw missing('SESSION_KIND_MISSING', `the cluster behind context "${kube.context}" does not serve BGPPeerSession (lbctl.io): lbctl's speaker is not installed (upstream MetalLB keeps BGP sessions in FRR)`,
      'On MetalLB, run `kubectl -n metallb-system exec ds/speaker -c frr -- vtysh -c "show bgp summary"`; to install lbctl: `lbctl install --mode bgp`.')
  }
  const list = await kube.list<BGPPeerSession>(DoctorKinds.BGPPeerSession, {namespace})
  return {sessions: sessionRows(list.items, now())}
}
