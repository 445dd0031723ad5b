// BFD single hop over UDP (RFC 5881): receive on 3784 with the TTL checked, send from an ephemeral port in
// 49152–65535 with TTL 255. Needs the native module (Node's dgram cannot report a datagram's TTL).
import {isIPv6} from 'node:net'
import {loadNative, type UdpSocket} from '../native/index.js'
import {BFD_PORT} from './bfd.js'
import {BfdSession, type BfdOptions} from './bfd-session.js'

export interface BfdLink {
  session: BfdSession
  close(): void
}

/** Run a BFD session between `local` and `peer` (both addresses of the directly connected link). */
export function openBfd(local: string, peer: string, opts: Omit<BfdOptions, 'send'> = {}): BfdLink {
  const n = loadNative()
  const fam = isIPv6(peer) ? 6 : 4
  const ref: {session?: BfdSession} = {}
  const rx: UdpSocket = new n.UdpSocket(fam, (data, address, _port, ttl) => {
    if (address.replace(/^::ffff:/, '') === peer) ref.session?.receive(data, ttl)
  })
  rx.bind(local, BFD_PORT)
  const tx: UdpSocket = new n.UdpSocket(fam, () => undefined)
  tx.setTtl(255)
  let bound = false
  for (let i = 0; i < 20 && !bound; i++) {
    try {
      tx.bind(local, 49152 + Math.floor(Math.random() * 16384))
      bound = true
    } catch {
      // port taken; try another
    }
  }
  if (!bound) tx.bind(local, 0)
  const session = new BfdSession({...opts, send: (p) => { try { tx.send(p, peer, BFD_PORT) } catch { /* link down: the detection timer decides */ } }})
  ref.session = session
  return {
    session,
    close() {
      session.stop()
      rx.close()
      tx.close()
    },
  }
}
