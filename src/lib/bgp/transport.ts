// TCP for BGP: plain node:net unless a TCP MD5 password or a TTL is asked for; then the native module makes the
// socket (TCP_MD5SIG, IP_TTL / IP_MINTTL) and Node adopts its fd.
import net from 'node:net'
import {loadNative, type NativeFamily} from '../native/index.js'
import type {Conn, Transport} from './session-types.js'

export const BGP_PORT = 179

export interface TcpOptions {
  host: string
  port?: number
  localAddress?: string
  /** TCP MD5 signature key (RFC 2385). */
  password?: string
  /** IP TTL / hop limit of what we send (eBGP multihop: the hop count; GTSM: 255). */
  ttl?: number
  /** Reject segments with a lower TTL (GTSM, RFC 5082): 255 - hops + 1. */
  minTtl?: number
}

const familyOf = (addr: string): NativeFamily => (net.isIPv6(addr) ? 6 : 4)

function adopt(sock: net.Socket, signal: AbortSignal): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      sock.destroy()
      reject(new Error('connect aborted'))
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, {once: true})
    sock.once('connect', () => {
      signal.removeEventListener('abort', onAbort)
      sock.setNoDelay(true)
      resolve(sock)
    })
    sock.once('error', (err) => {
      signal.removeEventListener('abort', onAbort)
      sock.destroy()
      reject(err)
    })
  })
}

/** Dial the peer. Each call is one attempt; the session retries. */
export function tcpTransport(o: TcpOptions): Transport {
  const port = o.port ?? BGP_PORT
  const needNative = o.password !== undefined || o.ttl !== undefined || o.minTtl !== undefined
  return {
    connect(signal) {
      if (!needNative) return adopt(net.connect({host: o.host, port, localAddress: o.localAddress}), signal)
      const n = loadNative()
      const fam = familyOf(o.host)
      const fd = n.tcpSocket(fam)
      try {
        if (o.password !== undefined) n.setMd5(fd, o.host, o.password)
        if (o.ttl !== undefined) n.setTtl(fd, fam, o.ttl)
        if (o.minTtl !== undefined) n.setMinTtl(fd, fam, o.minTtl)
        if (o.localAddress) n.bind(fd, fam, o.localAddress, 0)
      } catch (err) {
        n.close(fd)
        return Promise.reject(err)
      }
      const sock = new net.Socket({fd, readable: true, writable: true})
      sock.connect(port, o.host)
      return adopt(sock, signal)
    },
  }
}

export interface ListenOptions {
  address: string
  port?: number
  /** Password per peer address (TCP MD5 on the listening socket, inherited by accepted ones). */
  passwords?: Map<string, string>
  ttl?: number
  minTtl?: number
  onConnection(conn: net.Socket): void
}

/** Listen for peers (passive sessions). Resolves once listening. */
export async function listenBgp(o: ListenOptions): Promise<net.Server> {
  const server = net.createServer({noDelay: true}, (s) => o.onConnection(s))
  const port = o.port ?? BGP_PORT
  const needNative = (o.passwords?.size ?? 0) > 0 || o.ttl !== undefined || o.minTtl !== undefined
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if (!needNative) {
      server.listen({host: o.address, port}, () => resolve())
      return
    }
    const n = loadNative()
    const fam = familyOf(o.address)
    const fd = n.tcpSocket(fam)
    try {
      n.setReuseAddr(fd)
      for (const [peer, key] of o.passwords ?? []) n.setMd5(fd, peer, key)
      if (o.ttl !== undefined) n.setTtl(fd, fam, o.ttl)
      if (o.minTtl !== undefined) n.setMinTtl(fd, fam, o.minTtl)
      n.bind(fd, fam, o.address, port)
      n.listen(fd, 64)
    } catch (err) {
      n.close(fd)
      reject(err)
      return
    }
    server.listen({fd}, () => resolve())
  })
  return server
}
