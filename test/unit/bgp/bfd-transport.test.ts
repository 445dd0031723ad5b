// Two BFD sessions from one local address (a node peering with two routers) share the receiving socket on 3784 and
// each gets only its own peer's packets; the socket goes away with the last session.
import {describe, expect, it} from 'vitest'
import {openBfd} from '../../../src/lib/bgp/bfd-transport.js'
import {requireLab} from '../../harness/lab/prereq.js'

// Loopback addresses picked per process so parallel runs do not meet on 127.x:3784.
const octet = 2 + (process.pid % 200)
const [A, B, C] = [`127.${octet}.0.1`, `127.${octet}.0.2`, `127.${octet}.0.3`]

describe.runIf(requireLab())('BFD sessions sharing a local address', () => {
  it('come Up with both peers independently and close cleanly', async () => {
    const fast = {desiredMinTx: 50, requiredMinRx: 50, detectMult: 3}
    const a1 = openBfd(A, B, fast)
    const a2 = openBfd(A, C, fast)
    expect(() => openBfd(A, B, fast)).toThrow(/already open/)
    const b = openBfd(B, A, fast)
    const c = openBfd(C, A, fast)
    for (const l of [a1, a2, b, c]) l.session.start()
    const deadline = Date.now() + 10_000
    while (![a1, a2, b, c].every((l) => l.session.stateName === 'Up') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect([a1, a2, b, c].map((l) => l.session.stateName)).toEqual(['Up', 'Up', 'Up', 'Up'])
    c.close()
    a2.close()
    // b's session is unaffected by the other session on A going away.
    await new Promise((r) => setTimeout(r, 300))
    expect([a1.session.stateName, b.session.stateName]).toEqual(['Up', 'Up'])
    a1.close()
    b.close()
    // The receiving socket on A:3784 was released: a new session can bind it again.
    const again = openBfd(A, B, fast)
    again.close()
  })
})
