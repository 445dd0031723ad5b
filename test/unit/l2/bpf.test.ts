import {describe, expect, it} from 'vitest'
import {BPF} from '../../../src/lib/l2/bpf.js'
import type {BpfInstruction} from '../../../src/lib/native/index.js'
import {ARP_REPLY_FROM_KERNEL, ARP_REQUEST_FROM_ARPING, NA_FROM_KERNEL, NS_FROM_NDISC6} from './fixtures.js'

/** Just enough of the kernel's classic BPF interpreter for these programs (ld abs h/b, jeq k, ret k). */
function run(prog: readonly BpfInstruction[], pkt: Buffer): number {
  let a = 0
  for (let pc = 0; pc < prog.length; pc++) {
    const [code, jt, jf, k] = prog[pc]
    if (code === 0x28 || code === 0x30) {
      const n = code === 0x28 ? 2 : 1
      if (k + n > pkt.length) return 0 // out-of-bounds load: the kernel drops the packet
      a = n === 2 ? pkt.readUInt16BE(k) : pkt[k]
    } else if (code === 0x15) pc += a === k ? jt : jf
    else if (code === 0x06) return k
    else throw new Error(`opcode 0x${code.toString(16)}`)
  }
  throw new Error('fell off the end')
}

describe('BPF programs', () => {
  const frames = {arpReq: ARP_REQUEST_FROM_ARPING, arpRep: ARP_REPLY_FROM_KERNEL, ns: NS_FROM_NDISC6, na: NA_FROM_KERNEL}
  const table: [keyof typeof BPF, (keyof typeof frames)[]][] = [
    ['arpRequests', ['arpReq']],
    ['neighborSolicitations', ['ns']],
    ['arpReplies', ['arpRep']],
    ['neighborAdvertisements', ['na']],
    ['allArp', ['arpReq', 'arpRep']],
    ['allIpv6', ['ns', 'na']],
  ]
  for (const [name, accepted] of table) {
    it(`${name} accepts exactly ${accepted.join(', ')}`, () => {
      for (const [f, bytes] of Object.entries(frames)) {
        expect(run(BPF[name], bytes) > 0, `${name} on ${f}`).toBe(accepted.includes(f as keyof typeof frames))
      }
      expect(run(BPF[name], Buffer.alloc(10))).toBe(0)
      // Jump offsets stay inside the program (the kernel's checker rejects anything else).
      BPF[name].forEach(([code, jt, jf], i) => {
        if (code === 0x15) expect(i + 1 + Math.max(jt, jf)).toBeLessThan(BPF[name].length)
      })
    })
  }
})
