// The in-kernel ARP responder (native/src/xdp.cc), run on crafted frames with BPF_PROG_TEST_RUN: no interface, no
// namespace, but the real verifier and the real program. Needs root (CAP_BPF + CAP_NET_ADMIN).
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {requireLab} from '../../harness/lab/index.js'
import {ARP_REQUEST_FROM_ARPING, hex, MAC_A, MAC_B} from '../../unit/l2/fixtures.js'
import {arpRequestFrame, garpReplyFrame, garpRequestFrame} from '../../../src/lib/l2/arp.js'
import {Responder} from '../../../src/lib/l2/responder.js'
import {loadNative, nativeAvailable, type XdpArpProgram} from '../../../src/lib/native/index.js'

const PASS = 2
const TX = 3
const OWNED = Buffer.from([198, 18, 30, 2]) // the target of ARP_REQUEST_FROM_ARPING
const xdpBuilt = (): boolean => nativeAvailable() && typeof loadNative().XdpArp === 'function'
const edit = (f: Buffer, at: number, bytes: number[] | Buffer): Buffer => {
  const c = Buffer.from(f)
  c.set(bytes, at)
  return c
}

describe.runIf(requireLab([]) && xdpBuilt())('XDP ARP program (BPF_PROG_TEST_RUN)', () => {
  let x: XdpArpProgram
  beforeAll(() => {
    x = new (loadNative().XdpArp!)(MAC_B) // we are B, 02:00:00:00:00:0b
    x.set(OWNED, true)
  })
  afterAll(() => x?.close())

  it('turns a request for an owned address into the reply, field by field', () => {
    const s0 = x.stats()
    const r = x.testRun(ARP_REQUEST_FROM_ARPING)
    expect(r.action).toBe(TX)
    const f = r.frame
    expect(f.length).toBe(ARP_REQUEST_FROM_ARPING.length)
    expect(f.subarray(0, 6)).toEqual(MAC_A) // Ethernet destination: the requester
    expect(f.subarray(6, 12)).toEqual(MAC_B) // Ethernet source: us
    expect(f.readUInt16BE(12)).toBe(0x0806)
    expect(f.subarray(14, 20)).toEqual(hex('0001 0800 06 04')) // Ethernet / IPv4 / 6 / 4
    expect(f.readUInt16BE(20)).toBe(2) // reply
    expect(f.subarray(22, 28)).toEqual(MAC_B) // sender MAC: us
    expect(f.subarray(28, 32)).toEqual(OWNED) // sender IP: the address asked for
    expect(f.subarray(32, 38)).toEqual(MAC_A) // target MAC: the requester
    expect(f.subarray(38, 42)).toEqual(Buffer.from([198, 18, 30, 1])) // target IP: the requester's
    expect(f.subarray(42)).toEqual(ARP_REQUEST_FROM_ARPING.subarray(42)) // padding untouched
    // Byte for byte what the user-space responder sends (which pads to 60 bytes).
    const u = new Responder()
    u.own('198.18.30.2')
    const ua = u.handle(ARP_REQUEST_FROM_ARPING, {name: 'eth0', mac: MAC_B})
    expect('answer' in ua && ua.answer.subarray(0, 42)).toEqual(f.subarray(0, 42))
    expect(x.stats()).toEqual({answered: s0.answered + 1, passed: s0.passed})
  })

  const passCases: [string, Buffer, boolean][] = [
    ['a reply', garpReplyFrame(OWNED, MAC_A), true],
    ['an announcement of the address (gratuitous request)', garpRequestFrame(OWNED, MAC_A), true],
    ['a request from us (fromUs)', edit(ARP_REQUEST_FROM_ARPING, 6, MAC_B), true],
    ['unicast to another MAC', edit(ARP_REQUEST_FROM_ARPING, 0, hex('020000000099')), true],
    ['a multicast sender MAC', edit(ARP_REQUEST_FROM_ARPING, 22, [0x03]), true],
    ['hardware type 6', edit(ARP_REQUEST_FROM_ARPING, 14, [0, 6]), true],
    ['protocol type 0x86dd', edit(ARP_REQUEST_FROM_ARPING, 16, [0x86, 0xdd]), true],
    ['hardware length 8', edit(ARP_REQUEST_FROM_ARPING, 18, [8]), true],
    ['protocol length 16', edit(ARP_REQUEST_FROM_ARPING, 19, [16]), true],
    ['opcode 3', edit(ARP_REQUEST_FROM_ARPING, 20, [0, 3]), true],
    ['a request for an address not owned', edit(ARP_REQUEST_FROM_ARPING, 38, [198, 18, 30, 3]), true],
    ['a truncated request (41 bytes)', ARP_REQUEST_FROM_ARPING.subarray(0, 41), false],
    ['an Ethernet header only', ARP_REQUEST_FROM_ARPING.subarray(0, 14), false],
    ['IPv4, not ARP', edit(ARP_REQUEST_FROM_ARPING, 12, [0x08, 0x00]), false],
  ]
  for (const [what, frame, countedAsArp] of passCases) {
    it(`passes ${what} on unchanged${countedAsArp ? ', counted as passed' : ', not counted (not ARP)'}`, () => {
      const s0 = x.stats()
      const r = x.testRun(frame)
      expect(r.action).toBe(PASS)
      expect(r.frame).toEqual(frame)
      expect(x.stats()).toEqual({answered: s0.answered, passed: s0.passed + (countedAsArp ? 1 : 0)})
    })
  }

  it('answers a request unicast to our MAC, to a multicast MAC, and an ARP probe (sender 0.0.0.0)', () => {
    expect(x.testRun(edit(ARP_REQUEST_FROM_ARPING, 0, MAC_B)).action).toBe(TX)
    expect(x.testRun(edit(ARP_REQUEST_FROM_ARPING, 0, hex('01005e000001'))).action).toBe(TX)
    const probe = x.testRun(edit(ARP_REQUEST_FROM_ARPING, 28, [0, 0, 0, 0]))
    expect(probe.action).toBe(TX)
    expect(probe.frame.subarray(38, 42)).toEqual(Buffer.alloc(4))
    // The reply goes to the ARP sender MAC, as user space and the kernel send it, even when the Ethernet source differs.
    const proxied = x.testRun(edit(ARP_REQUEST_FROM_ARPING, 6, hex('020000000077')))
    expect(proxied.action).toBe(TX)
    expect(proxied.frame.subarray(0, 6)).toEqual(MAC_A)
  })

  it('stops answering the moment the address leaves the map, and lists what it answers for', () => {
    const y = new (loadNative().XdpArp!)(MAC_B)
    try {
      expect(y.addresses()).toEqual([])
      y.set(OWNED, true)
      y.set(Buffer.from([203, 0, 113, 10]), true)
      expect(y.addresses().map((b) => b.toString('hex')).sort()).toEqual(['c6121e02', 'cb00710a'])
      expect(y.testRun(ARP_REQUEST_FROM_ARPING).action).toBe(TX)
      y.set(OWNED, false)
      y.set(OWNED, false) // removing what is not there is not an error
      expect(y.testRun(ARP_REQUEST_FROM_ARPING).action).toBe(PASS)
      expect(y.mode).toBeNull()
    } finally {
      y.close()
    }
    expect(() => y.set(OWNED, true)).toThrow(/closed/)
  })

  it('decides every ARP frame as the user-space responder does (1,000 mutated requests)', () => {
    const u = new Responder()
    u.own('198.18.30.2')
    const seeds = [ARP_REQUEST_FROM_ARPING, arpRequestFrame(MAC_A, Buffer.from([198, 18, 30, 1]), OWNED)]
    // Mutations where the rules look: MACs' first bytes, the fixed header, the op, the addresses.
    const spots = [0, 5, 6, 11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 28, 31, 38, 41]
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.constantFrom(...spots), fc.integer({min: 0, max: 255})), {maxLength: 3}),
      (seed, muts) => {
        const f = Buffer.from(seed)
        for (const [at, v] of muts) f[at] = v
        const user = u.handle(f, {name: 'eth0', mac: MAC_B})
        const k = x.testRun(f)
        if ('answer' in user) {
          expect(k.action).toBe(TX)
          expect(k.frame.subarray(0, 42)).toEqual(user.answer.subarray(0, 42))
        } else {
          expect(k.action, user.drop).toBe(PASS)
          expect(k.frame).toEqual(f)
        }
      }), {numRuns: 1000, seed: 42})
  })

  it('bad arguments are clear errors', () => {
    const N = loadNative().XdpArp!
    expect(() => new N(Buffer.alloc(5))).toThrow(/6-byte Buffer/)
    expect(() => new N(MAC_B, 0)).toThrow(/maxAddresses/)
    expect(() => x.set(Buffer.alloc(16), true)).toThrow(/4-byte Buffer/)
    expect(() => x.set(OWNED, 1 as unknown as boolean)).toThrow(/present: boolean/)
    expect(() => x.testRun(Buffer.alloc(10))).toThrow(/14–1514/)
    expect(() => x.attach(0, 'auto')).toThrow(/ifindex/)
    expect(() => x.attach(1, 'fast' as 'native')).toThrow(/mode must be/)
    expect(() => x.attach(2 ** 30, 'generic')).toThrow(expect.objectContaining({code: 'ENODEV', syscall: 'bpf(BPF_LINK_CREATE)'}))
  })
})
