// What the speakers say about their nodes (`/v1/l2` of each live speaker, read once per run): the node's interfaces
// and MACs, and what it announces. The advertisement stage matches L2Advertisement interfaces against it; the wire
// stage tells whose MAC answers. Without a client (--no-probe, no token) or a reachable speaker, the checks that need
// it say they could not be made, and why.
import type {DiagnosticsClient, L2Report, NodeInterface, SpeakerEndpoint} from './diagnostics.js'
import {DIAGNOSTICS_PORT} from './kinds.js'
import type {Context} from './cluster-checks.js'

/** The diagnostics endpoint of every ready speaker Pod (hostNetwork: the Pod IP is the node's). */
export function speakerEndpoints(c: Context): SpeakerEndpoint[] {
  return c.pods
    .filter((p) => p.component === 'speaker' && p.ready && p.node && p.ip)
    .map((p) => {
      const port = p.pod.spec?.containers?.flatMap((x) => x.ports ?? []).find((x) => x.name === 'diagnostics')?.containerPort ?? DIAGNOSTICS_PORT
      return {node: p.node!, url: `https://${p.ip!.includes(':') ? `[${p.ip}]` : p.ip}:${port}`}
    })
}

export interface SpeakerReports {
  /** Node → its report, or why there is none. */
  byNode: Map<string, {report: L2Report} | {error: string}>
  /** Set when no speaker was asked at all. */
  skipped?: string
}

export async function readSpeakerReports(c: Context, wire: {client?: DiagnosticsClient; skip?: string}): Promise<SpeakerReports> {
  const byNode: SpeakerReports['byNode'] = new Map()
  if (wire.skip || !wire.client) return {byNode, skipped: wire.skip ?? 'no diagnostics client'}
  const client = wire.client
  await Promise.all(speakerEndpoints(c).map(async (ep) => {
    try {
      byNode.set(ep.node, {report: await client.l2(ep)})
    } catch (e) {
      byNode.set(ep.node, {error: (e as Error).message})
    }
  }))
  return {byNode}
}

/** The node's interfaces, or why they are not known. */
export function nodeInterfaces(r: SpeakerReports | undefined, node: string): {interfaces: NodeInterface[]} | {why: string} {
  if (!r) return {why: 'the speakers were not asked'}
  if (r.skipped) return {why: `the speakers were not asked (${r.skipped})`}
  const x = r.byNode.get(node)
  if (!x) return {why: `no ready speaker on ${node} to ask`}
  if ('error' in x) return {why: x.error}
  if (!x.report.interfaces) return {why: `the speaker on ${node} does not report its interfaces (an older version)`}
  return {interfaces: x.report.interfaces}
}

/** MAC → the nodes and interfaces that carry it, from every report. */
export function macOwners(r: SpeakerReports | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const [node, x] of r?.byNode ?? []) {
    if (!('report' in x)) continue
    for (const i of x.report.interfaces ?? []) {
      if (!i.mac || i.mac === '00:00:00:00:00:00') continue
      const list = out.get(i.mac) ?? []
      list.push(`${node}/${i.name}`)
      out.set(i.mac, list)
    }
  }
  return out
}
