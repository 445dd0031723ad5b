// The wire stage: speakers on other nodes probe the address (the announcing node cannot see its own XDP answers).
// Exactly one MAC should answer; several is a conflict, named with who saw which MAC.
import type {Context} from './cluster-checks.js'
import {type DiagnosticsClient, type ProbeResponse, type SpeakerEndpoint} from './diagnostics.js'
import {sh} from './fixes.js'
import {DIAGNOSTICS_PORT} from './kinds.js'
import {announcers} from './service-checks.js'
import {check, type Check} from './types.js'
import type {Service} from '../api/types.js'

export function speakerEndpoints(c: Context): SpeakerEndpoint[] {
  return c.pods
    .filter((p) => p.component === 'speaker' && p.ready && p.node && p.ip)
    .map((p) => {
      const port = p.pod.spec?.containers?.flatMap((x) => x.ports ?? []).find((x) => x.name === 'diagnostics')?.containerPort ?? DIAGNOSTICS_PORT
      return {node: p.node!, url: `https://${p.ip!.includes(':') ? `[${p.ip}]` : p.ip}:${port}`}
    })
}

export interface WireOptions {
  client?: DiagnosticsClient
  /** Why the wire stage is skipped (--no-probe, no token). */
  skip?: string
}

/** The wire check for one service (undefined when the service is not announced in layer 2). */
export async function wireCheck(c: Context, svc: Service, address: string, opts: WireOptions, cache: Map<string, Promise<Check>>): Promise<Check> {
  const subject = `Service ${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`
  const a = announcers(c, svc)
  const withSubject = (x: Check): Check => ({...x, subject})
  if (a.l2.length === 0) return check('wire.single-mac', 'One MAC on the wire', 'skip', 'announced with BGP only: the routers carry it (see bgp.sessions)', {subject})
  if (opts.skip || !opts.client) return check('wire.single-mac', 'One MAC on the wire', 'skip', `not probed: ${opts.skip ?? 'no diagnostics client'}`, {subject})
  const key = `${address}|${a.l2[0]}`
  if (!cache.has(key)) cache.set(key, probeAddress(c, address, a.l2[0], opts.client))
  return withSubject(await cache.get(key)!)
}

async function probeAddress(c: Context, address: string, owner: string, client: DiagnosticsClient): Promise<Check> {
  const others = speakerEndpoints(c).filter((e) => e.node !== owner)
  const title = 'One MAC on the wire'
  if (others.length === 0) return check('wire.single-mac', title, 'skip', `no speaker on another node than ${owner} to probe from (the owner cannot see its own answers)`)
  const settled = await Promise.allSettled(others.map((e) => client.probe(e, address)))
  const answered: ProbeResponse[] = []
  const failures: string[] = []
  settled.forEach((r, i) => (r.status === 'fulfilled' ? answered.push(r.value) : failures.push(`${others[i].node}: ${(r.reason as Error).message}`)))
  if (answered.length === 0) {
    return check('wire.single-mac', title, 'skip', `not probed: the diagnostics endpoint of no other speaker could be used`, {evidence: failures})
  }
  const seen = new Map<string, Set<string>>()
  for (const r of answered) for (const res of r.results) for (const ans of res.answers) {
    const set = seen.get(ans.mac) ?? new Set<string>()
    set.add(`${r.node}/${res.interface}`)
    seen.set(ans.mac, set)
  }
  const evidence = [...[...seen].map(([mac, from]) => `${mac} seen from ${[...from].sort().join(', ')}`), ...failures.map((f) => `not probed from ${f}`)]
  const fix = `kubectl -n ${sh(c.s.namespace)} get servicel2statuses -o wide`
  if (seen.size === 0) {
    return check('wire.single-mac', title, 'fail', `nobody answers ARP/NDP for ${address}, asked from ${answered.map((r) => r.node).join(', ')} (${owner} should)`, {evidence, fix: `kubectl -n ${sh(c.s.namespace)} logs -l app.kubernetes.io/component=speaker --tail=50`})
  }
  if (seen.size > 1) {
    return check('wire.single-mac', title, 'fail', `conflict: ${seen.size} MACs answer for ${address}: ${[...seen.keys()].join(', ')} — another machine on the segment uses the address (or a second node announces it)`, {evidence, fix})
  }
  return check('wire.single-mac', title, 'pass', `one MAC answers for ${address}: ${[...seen.keys()][0]} (${owner} announces it)`, {evidence})
}
