// The wire stage: speakers on other nodes probe the address (the announcing node cannot see its own XDP answers).
// Exactly one MAC should answer (wire.single-mac; several is a conflict, named with who saw which MAC), and it should be
// a MAC of the node ServiceL2Status names (wire.announcer-mac; the nodes' MACs come from their speakers' /v1/l2).
import type {Context} from './cluster-checks.js'
import {type DiagnosticsClient, type DiagnosticsError, type ProbeResponse, type SpeakerEndpoint} from './diagnostics.js'
import {sh} from './fixes.js'
import {announcers} from './service-checks.js'
import {macOwners, nodeInterfaces, speakerEndpoints} from './speakers.js'
import {check, type Check} from './types.js'
import type {Service} from '../api/types.js'

export interface WireOptions {
  client?: DiagnosticsClient
  /** Why the wire stage is skipped (--no-probe, no token). */
  skip?: string
}

const SINGLE = 'One MAC on the wire'
const OWNER = "The announcer's MAC answers"

/** The wire checks for one service: wire.single-mac, then wire.announcer-mac when there is something to compare. */
export async function wireChecks(c: Context, svc: Service, address: string, opts: WireOptions, cache: Map<string, Promise<Check[]>>): Promise<Check[]> {
  const subject = `Service ${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`
  const a = announcers(c, svc)
  if (a.l2.length === 0) return [check('wire.single-mac', SINGLE, 'skip', 'announced with BGP only: the routers carry it (see bgp.sessions)', {subject})]
  if (opts.skip || !opts.client) return [check('wire.single-mac', SINGLE, 'skip', `not probed: ${opts.skip ?? 'no diagnostics client'}`, {subject})]
  const key = `${address}|${a.l2[0]}`
  if (!cache.has(key)) cache.set(key, probeAddress(c, address, a.l2[0], opts.client))
  return (await cache.get(key)!).map((x) => ({...x, subject}))
}

/** "02:…:0a (n1/eth0, the announcer)" — a MAC with whose it is. */
function describeMac(mac: string, owners: Map<string, string[]>, owner: string, ownerKnown: boolean): string {
  const whose = owners.get(mac) ?? []
  const isOwner = whose.some((w) => w.startsWith(`${owner}/`))
  const label = whose.length ? whose.join(', ') : ownerKnown ? 'no node of the cluster: another machine on the segment' : 'not a MAC any speaker reported'
  return `${mac} (${label}${isOwner ? ', the announcer' : ''})`
}

async function probeAddress(c: Context, address: string, owner: string, client: DiagnosticsClient): Promise<Check[]> {
  const others = speakerEndpoints(c).filter((e) => e.node !== owner)
  if (others.length === 0) return [check('wire.single-mac', SINGLE, 'skip', `no speaker on another node than ${owner} to probe from (the owner cannot see its own answers)`)]
  // Probe on the segment the owner announces on: the first of its interfaces for the address that the prober has too
  // (multi-NIC nodes, advertisements naming interfaces); else the prober's default.
  const ownerReport = c.speakers?.byNode.get(owner)
  const owns = ownerReport && 'report' in ownerReport ? ownerReport.report.owned.find((o) => o.address === address) : undefined
  const probeFrom = async (e: SpeakerEndpoint): Promise<ProbeResponse> => {
    const ni = nodeInterfaces(c.speakers, e.node)
    const iface = 'interfaces' in ni ? owns?.interfaces.find((w) => ni.interfaces.some((i) => i.name === w && i.state === 'usable')) : undefined
    if (!iface) return client.probe(e, address)
    try {
      return await client.probe(e, address, {interface: iface})
    } catch (err) {
      // The prober's engine does not serve that interface (not in its default selection): its default, then.
      if ((err as DiagnosticsError).code === 'BAD_INTERFACE') return client.probe(e, address)
      throw err
    }
  }
  const settled = await Promise.allSettled(others.map(probeFrom))
  const answered: ProbeResponse[] = []
  const failures: string[] = []
  settled.forEach((r, i) => (r.status === 'fulfilled' ? answered.push(r.value) : failures.push(`${others[i].node}: ${(r.reason as Error).message}`)))
  if (answered.length === 0) {
    return [check('wire.single-mac', SINGLE, 'skip', `not probed: the diagnostics endpoint of no other speaker could be used`, {evidence: failures})]
  }
  const seen = new Map<string, Set<string>>()
  for (const r of answered) for (const res of r.results) for (const ans of res.answers) {
    const set = seen.get(ans.mac) ?? new Set<string>()
    set.add(`${r.node}/${res.interface}`)
    seen.set(ans.mac, set)
  }
  // Whose MACs these are: every speaker's reported interfaces; the announcer's own report says what it owns.
  const owners = macOwners(c.speakers)
  const ownerIfs = nodeInterfaces(c.speakers, owner)
  const ownerKnown = 'interfaces' in ownerIfs
  const ownerMacs = new Set(ownerKnown ? ownerIfs.interfaces.map((i) => i.mac).filter((m) => m && m !== '00:00:00:00:00:00') : [])
  const ownerSays = ownerReport && 'report' in ownerReport
    ? owns ? `${owner} reports announcing ${address} on ${owns.interfaces.join(', ') || 'no interface'}` : `${owner} does not report announcing ${address}`
    : `${owner} was not asked what it announces${ownerReport && 'error' in ownerReport ? `: ${ownerReport.error}` : ''}`
  const evidence = [
    ...[...seen].map(([mac, from]) => `${describeMac(mac, owners, owner, ownerKnown)} seen from ${[...from].sort().join(', ')}`),
    ...failures.map((f) => `not probed from ${f}`),
    ownerSays,
    ...(ownerKnown ? [`${owner}'s MACs: ${ownerIfs.interfaces.filter((i) => ownerMacs.has(i.mac)).map((i) => `${i.mac} (${i.name})`).join(', ')}`] : []),
  ]
  const ns = sh(c.s.namespace)
  // Which node each ServiceL2Status names (the labels carry it; the CRD prints no such column).
  const fix = `kubectl -n ${ns} get servicel2statuses -L metallb.io/service-namespace,metallb.io/service-name,metallb.io/node`
  const out: Check[] = []
  if (seen.size === 0) {
    return [check('wire.single-mac', SINGLE, 'fail', `nobody answers ARP/NDP for ${address}, asked from ${answered.map((r) => r.node).join(', ')} (${owner} should)`, {evidence, fix: `kubectl -n ${ns} logs -l app.kubernetes.io/component=speaker --tail=50`})]
  }
  const macs = [...seen.keys()].sort()
  if (seen.size > 1) {
    out.push(check('wire.single-mac', SINGLE, 'fail', `conflict: ${seen.size} MACs answer for ${address}: ${macs.map((m) => describeMac(m, owners, owner, ownerKnown)).join(', ')} — ${macs.some((m) => !owners.has(m)) && ownerKnown ? 'another machine on the segment uses the address' : 'another machine on the segment uses the address, or a second node announces it'}`, {evidence, fix}))
  } else {
    out.push(check('wire.single-mac', SINGLE, 'pass', `one MAC answers for ${address}: ${describeMac(macs[0], owners, owner, ownerKnown)}`, {evidence}))
  }
  if (!ownerKnown) {
    out.push(check('wire.announcer-mac', OWNER, 'skip', `could not be made: ${owner}'s MACs are not known (${ownerIfs.why})`, {evidence}))
  } else if (macs.some((m) => ownerMacs.has(m))) {
    out.push(check('wire.announcer-mac', OWNER, 'pass', `${owner} announces ${address} (ServiceL2Status) and its MAC ${macs.find((m) => ownerMacs.has(m))} answers`, {evidence}))
  } else {
    const whose = macs.map((m) => describeMac(m, owners, owner, ownerKnown)).join(', ')
    out.push(check('wire.announcer-mac', OWNER, 'fail', `ServiceL2Status names ${owner} as the announcer of ${address}, but ${macs.length === 1 ? 'the MAC that answers is' : 'the MACs that answer are'} not ${owner}'s: ${whose}`, {
      evidence, fix,
    }))
  }
  return out
}
