// Two BFD sessions from one local address (a node peering with two routers) share the receiving socket on 3784 and
// each gets only its own peer's packets; the socket goes away with the last session.
import {describe, expect, it} from 'vitest'
import {openBfd} from '../../../src/lib/bgp/bfd-transport.js'
import {requireLab} from '../../harness/lab/prereq.js'
import {poll} from '../../harness/poll.js'

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
    await poll(() => [a1, a2, b, c].every((l) => l.session.stateName === 'Up'), {what: 'all four sessions Up', timeoutMs: 10_000, intervalMs: 20})
    expect([a1, a2, b, c].map((l) => l.session.stateName)).toEqual(['Up', 'Up', 'Up', 'Up'])
    // Count what a1 receives from here on: the shared socket must keep delivering b's packets to it.
    let received = 0
    const receive = a1.session.receive.bind(a1.session)
    a1.session.receive = (data, ttl) => {
      received++
      receive(data, ttl)
    }
    c.close()
    a2.close()
    // b's session is unaffected by the other session on A going away: a1 keeps hearing b for longer than the
    // detection time (3 × 50 ms), and both stay Up.
    await poll(() => received >= 6, {what: 'six more BFD packets from b at a1', timeoutMs: 10_000, intervalMs: 20})
    expect([a1.session.stateName, b.session.stateName]).toEqual(['Up', 'Up'])
    a1.close()
    b.close()
    // The receiving socket on A:3784 was released: a new session can bind it again.
    const again = openBfd(A, B, fast)
    again.close()
  })
})
