// Classic BPF programs for the packet sockets, so only the frames the responder or probe needs reach JavaScript.
// Offsets are into the Ethernet frame: EtherType at 12, ARP opcode at 20, IPv6 next header at 20, ICMPv6 type at 54.
import type {BpfInstruction} from '../native/index.js'

const LD_H_ABS = 0x28
const LD_B_ABS = 0x30
const JEQ_K = 0x15
const RET_K = 0x06
const ACCEPT = 0xffff

export interface BpfCheck {
  offset: number
  size: 1 | 2
  /** Accept when the field equals any of these. */
  values: readonly number[]
}

/** A program accepting frames that pass every check (AND of ORs); reading past the end rejects (kernel semantics). */
export function bpfAll(checks: readonly BpfCheck[]): BpfInstruction[] {
  const prog: [number, number, number, number][] = []
  const rejectFixups: number[] = []
  for (const c of checks) {
    prog.push([c.size === 2 ? LD_H_ABS : LD_B_ABS, 0, 0, c.offset])
    c.values.forEach((v, i) => {
      const last = i === c.values.length - 1
      // jt: skip the remaining comparisons of this check; jf: next comparison, or reject when none is left.
      prog.push([JEQ_K, c.values.length - 1 - i, last ? -1 : 0, v])
      if (last) rejectFixups.push(prog.length - 1)
    })
  }
  prog.push([RET_K, 0, 0, ACCEPT])
  prog.push([RET_K, 0, 0, 0])
  const reject = prog.length - 1
  for (const i of rejectFixups) prog[i][2] = reject - i - 1
  return prog
}

const ARP: BpfCheck = {offset: 12, size: 2, values: [0x0806]}
const IPV6_ICMP: BpfCheck[] = [{offset: 12, size: 2, values: [0x86dd]}, {offset: 20, size: 1, values: [58]}]

export const BPF = {
  /** What the responder needs: ARP requests. */
  arpRequests: bpfAll([ARP, {offset: 20, size: 2, values: [1]}]),
  /** What the responder needs: neighbor solicitations. */
  neighborSolicitations: bpfAll([...IPV6_ICMP, {offset: 54, size: 1, values: [135]}]),
  /** What the probe listens for. */
  arpReplies: bpfAll([ARP, {offset: 20, size: 2, values: [2]}]),
  neighborAdvertisements: bpfAll([...IPV6_ICMP, {offset: 54, size: 1, values: [136]}]),
  /** Every ARP frame / every IPv6 frame: lets tests and diagnostics see (and count) what the kernel would filter. */
  allArp: bpfAll([ARP]),
  allIpv6: bpfAll([{offset: 12, size: 2, values: [0x86dd]}]),
} as const
