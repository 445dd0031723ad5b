// The node's interfaces as `/v1/l2` reports them: each link's name, MAC, and whether the L2 engine could serve it when
// an L2Advertisement names it (up, ARP-capable Ethernet, not a bond or bridge member — the rule of src/lib/l2
// selectInterfaces). `lbctl doctor` matches answering MACs against these and checks advertisements' `interfaces`.
import {type Link, selectInterfaces, type SkipReason} from '../../lib/l2/interfaces.js'

export interface NodeInterface {
  name: string
  mac: string
  /** `usable`, or why an advertisement naming it would not be served there. */
  state: 'usable' | Exclude<SkipReason, 'excluded' | 'notListed'>
}

export function describeLinks(links: readonly Link[]): NodeInterface[] {
  // Named interfaces bypass the exclude list, so the verdict is the one for "listed by name".
  const sel = selectInterfaces(links, {interfaces: links.map((l) => l.name)})
  const why = new Map(sel.skipped.map((s) => [s.name, s.reason]))
  return links
    .map((l) => ({name: l.name, mac: l.mac.toLowerCase(), state: (why.get(l.name) ?? 'usable') as NodeInterface['state']}))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
