// BFD single hop over UDP (RFC 5881): receive on 3784 with the TTL checked, send from an ephemeral port in
// 49152–65535 with TTL 255. Needs the native module (Node's dgram cannot report a datagram's TTL).
// Sessions from the same local address (one node, two routers) share one receiving socket, demultiplexed by the
// peer's address: only one socket can hold local:3784.
import {isIPv6} from 'node:net'
import {loadNative, type UdpSocket} from '../native/index.js'
import {BFD_PORT} from './bfd.js'
import {BfdSession, type BfdOptions} from './bfd-session.js'

export interface BfdLink {
  session: BfdSession
  close(): void
}

interface Receiver {
  rx: UdpSocket
  sessions: Map<string, BfdSession>
}
const receivers = new Map<string, Receiver>()

function receiver(local: string): Receiver {
  let r = receivers.get(local)
  if (r) return r
  const n = loadNative()
  const sessions = new Map<string, BfdSession>()
  const rx: UdpSocket = new n.UdpSocket(isIPv6(local) ? 6 : 4, (data, address, _port, ttl) => sessions.get(address.replace(/^::ffff:/, ''))?.receive(data, ttl))
  rx.bind(local, BFD_PORT)
  r = {rx, sessions}
  receivers.set(local, r)
  return r
}

/** Run a BFD session between `local` and `peer` (both addresses of the directly connected link). */
export function openBfd(local: string, peer: string, opts: Omit<BfdOptions, 'send'> = {}): BfdLink {
  const n = loadNative()
  const fam = isIPv6(peer) ? 6 : 4
  const r = receiver(local)
  if (r.sessions.has(peer)) throw new RangeError(`a BFD session from ${local} to ${peer} is already open`)
  const tx: UdpSocket = new n.UdpSocket(fam, () => undefined)
  try {
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
  } catch (e) {
    tx.close()
    if (r.sessions.size === 0) closeReceiver(local, r)
    throw e
  }
  const session = new BfdSession({...opts, send: (p) => { try { tx.send(p, peer, BFD_PORT) } catch { /* link down: the detection timer decides */ } }})
  r.sessions.set(peer, session)
  return {
    session,
    close() {
      session.stop()
      tx.close()
      if (r.sessions.get(peer) === session) r.sessions.delete(peer)
      if (r.sessions.size === 0) closeReceiver(local, r)
    },
  }
}

function closeReceiver(local: string, r: Receiver): void {
  if (receivers.get(local) === r) receivers.delete(local)
  r.rx.close()
}
