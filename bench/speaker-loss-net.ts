// Random packet loss on a lab node's LAN interface without netem (this kernel has no netem qdisc): iptables' statistic
// match drops each packet independently with the given probability, in INPUT (-i eth0) and OUTPUT (-o eth0), for IPv4
// (iptables) and IPv6 (ip6tables), inside the node's network namespace. Before every DROP rule sits a rule with no
// target that only counts the packets reaching it, so the counters give both the packets seen and the packets dropped.
import type {LabNode} from '../test/harness/lab/index.js'

const TOOLS = ['iptables', 'ip6tables'] as const
const CHAINS = [{chain: 'INPUT', dir: '-i'}, {chain: 'OUTPUT', dir: '-o'}] as const

export interface LossCounters {
  /** Packets that reached the loss rules (IPv4 + IPv6, both directions). */
  seen: number
  /** Packets the statistic rule dropped. */
  dropped: number
  /** The same split by tool and chain, e.g. `iptables INPUT`. */
  by: Record<string, {seen: number; dropped: number}>
}

/** Add the counting rule and the random DROP rule for every tool and chain on `ifname`. */
export async function addLoss(node: LabNode, probability: number, ifname = 'eth0'): Promise<void> {
  for (const tool of TOOLS) {
    for (const {chain, dir} of CHAINS) {
      await node.exec(tool, ['-w', '-A', chain, dir, ifname], {check: true})
      await node.exec(tool, ['-w', '-A', chain, dir, ifname, '-m', 'statistic', '--mode', 'random', '--probability', String(probability), '-j', 'DROP'], {check: true})
    }
  }
}

/** Read the counters of the rules addLoss added (`iptables -L CHAIN -v -x -n`). */
export async function lossCounters(node: LabNode): Promise<LossCounters> {
  const out: LossCounters = {seen: 0, dropped: 0, by: {}}
  for (const tool of TOOLS) {
    for (const {chain} of CHAINS) {
      const r = await node.exec(tool, ['-w', '-L', chain, '-v', '-x', '-n'], {check: true})
      // Rows: pkts bytes target prot opt in out source destination [match]. The counting rule has no target, so its
      // row starts with the two counters followed by the protocol ("all" / "0").
      const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^\d+$/.test(f[0] ?? ''))
      const drop = rows.find((f) => f[2] === 'DROP')
      const count = rows.find((f) => f[2] !== 'DROP')
      if (!drop || !count) throw new Error(`${tool} ${chain} in ${node.name}: the loss rules are missing\n${r.stdout}`)
      const c = {seen: Number(count[0]), dropped: Number(drop[0])}
      out.by[`${tool} ${chain}`] = c
      out.seen += c.seen
      out.dropped += c.dropped
    }
  }
  return out
}
