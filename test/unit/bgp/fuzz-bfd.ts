import {decodeBfd, BfdDecodeError} from '../../../src/lib/bgp/bfd.js'
import {BfdSession} from '../../../src/lib/bgp/bfd-session.js'
import {FakeClock} from '../../support/fake-clock.js'

/** Feed `n` random and mutated packets to the BFD decoder and a session; returns how many were rejected. */
export function fuzzBfd(n: number): number {
  const s = new BfdSession({clock: new FakeClock(), send: () => undefined})
  s.start()
  let rejected = 0
  let x = 12345
  const r = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(Math.floor(r() * 40))
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(r() * 256)
    if (b.length >= 4 && r() < 0.7) {
      b[0] = 0x20 | (b[0] & 0x1f)
      b[3] = Math.min(24, b.length)
    }
    const p = decodeBfd(b)
    if (p instanceof BfdDecodeError) rejected++
    s.receive(b, 255)
  }
  s.stop()
  return rejected
}
