// The advertisement stage's interface check: an L2Advertisement that names `interfaces` is served only on nodes that
// have one of them up and ARP-capable (the speaker's rule, src/lib/l2 selectInterfaces). The nodes' interfaces come
// from their speakers' `/v1/l2` (speakers.ts); without them the check says it could not be made.
import type {L2Advertisement} from '../api/types.js'
import {advertisementNodes, type Context} from './cluster-checks.js'
import {sh} from './fixes.js'
import type {Selected} from './service-checks.js'
import {nodeInterfaces} from './speakers.js'
import {check, type Check} from './types.js'

const TITLE = 'Advertised interfaces exist'
/** A node can have hundreds of links (a veth per pod): evidence names the first few. */
const MAX_LISTED = 8
const list = (names: string[]): string => (names.length > MAX_LISTED ? `${names.slice(0, MAX_LISTED).join(', ')} and ${names.length - MAX_LISTED} more` : names.join(', '))

interface AdVerdict {
  ad: L2Advertisement
  want: string[]
  nodes: string[]
  serving: string[]
  lacking: string[]
  unknown: string[]
}

/** Undefined when no selected L2Advertisement names interfaces (nothing to check). */
export function interfaceCheck(c: Context, sel: Selected, subject: string): Check | undefined {
  const named = sel.l2.filter((a) => (a.spec?.interfaces ?? []).length > 0)
  if (named.length === 0) return undefined
  const evidence: string[] = []
  const unknownWhy: string[] = []
  const verdicts: AdVerdict[] = named.map((ad) => {
    const want = ad.spec!.interfaces!
    const v: AdVerdict = {ad, want, nodes: advertisementNodes(c, ad.spec?.nodeSelectors).nodes, serving: [], lacking: [], unknown: []}
    for (const n of v.nodes) {
      const ni = nodeInterfaces(c.speakers, n)
      if ('why' in ni) {
        v.unknown.push(n)
        unknownWhy.push(`${n}: ${ni.why}`)
        continue
      }
      const has = want.filter((w) => ni.interfaces.some((i) => i.name === w && i.state === 'usable'))
      const unusable = want.flatMap((w) => ni.interfaces.filter((i) => i.name === w && i.state !== 'usable').map((i) => `${i.name} is ${i.state}`))
      const usable = ni.interfaces.filter((i) => i.state === 'usable').map((i) => i.name)
      evidence.push(`L2Advertisement/${ad.metadata.name} on ${n}: ${has.length ? `serves ${has.join(', ')}` : `has none of ${want.join(', ')}`}${unusable.length ? ` (${unusable.join(', ')})` : ''}; usable interfaces there: ${list(usable) || 'none'}`)
      ;(has.length ? v.serving : v.lacking).push(n)
    }
    return v
  })
  const ns = sh(c.s.namespace)
  // A node the advertisement selects whose interfaces are not known might serve it: fail only when every node is known.
  const dead = verdicts.filter((v) => v.serving.length === 0 && v.unknown.length === 0)
  const unsure = verdicts.filter((v) => v.serving.length === 0 && v.unknown.length > 0)
  // Another advertisement of the service (one without interfaces, a BGP one, or a named one that works) still announces it.
  const others = sel.l2.length - named.length + sel.bgp.length + verdicts.filter((v) => v.serving.length > 0).length
  if (dead.length > 0) {
    const d = dead[0]
    const message = `L2Advertisement ${d.ad.metadata.name} names interface${d.want.length === 1 ? '' : 's'} ${d.want.join(', ')}, which ${d.want.length === 1 ? 'is' : 'are'} up and ARP-capable on no node it selects (${d.nodes.join(', ')}): ${others > 0 ? 'only the other advertisements announce the service' : 'nobody announces the service'}`
    return check('advertisement.interfaces', TITLE, others > 0 ? 'warn' : 'fail', message, {
      subject, evidence: [...evidence, ...unknownWhy.map((w) => `not known: ${w}`)],
      fix: `kubectl -n ${ns} patch l2advertisement ${sh(d.ad.metadata.name)} --type=json -p '[{"op":"remove","path":"/spec/interfaces"}]'`,
    })
  }
  if (unsure.length > 0 && verdicts.every((v) => v.serving.length === 0)) {
    return check('advertisement.interfaces', TITLE, 'skip', `could not be made: the interfaces of ${[...new Set(unsure.flatMap((v) => v.unknown))].join(', ')} are not known`, {subject, evidence: unknownWhy})
  }
  const lacking = verdicts.filter((v) => v.lacking.length > 0)
  if (lacking.length > 0) {
    const l = lacking[0]
    return check('advertisement.interfaces', TITLE, 'warn', `L2Advertisement ${l.ad.metadata.name}: ${l.lacking.join(', ')} ${l.lacking.length === 1 ? 'has' : 'have'} none of ${l.want.join(', ')}, so only ${l.serving.join(', ')} can announce`, {
      subject, evidence, fix: `kubectl -n ${ns} get l2advertisement ${sh(l.ad.metadata.name)} -o yaml`,
    })
  }
  const served = verdicts.filter((v) => v.serving.length > 0).map((v) => `${v.want.join(', ')} on ${v.serving.join(', ')}`)
  return check('advertisement.interfaces', TITLE, 'pass', `named interfaces are up on the nodes: ${served.join('; ')}${unknownWhy.length ? ` (not known for ${unknownWhy.length} node${unknownWhy.length === 1 ? '' : 's'})` : ''}`, {subject, evidence: [...evidence, ...unknownWhy.map((w) => `not known: ${w}`)]})
}
