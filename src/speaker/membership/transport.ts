// Datagram transports for membership: UDP (node:dgram) for real, and the same interface in memory (sim-network.ts)
// so the protocol runs in virtual time with loss, delay and partitions.
import {createSocket, type Socket, type SocketOptions} from 'node:dgram'
import {isIPv6} from 'node:net'

export interface Transport {
  /** Where this transport receives (the member's address). */
  readonly address: string
  /** Fire and forget; errors (unreachable, link down) are counted, never thrown. */
  send(address: string, buf: Buffer): void
  onMessage(handler: (buf: Buffer, from: string) => void): void
  close(): Promise<void>
  /** Send errors since start. */
  readonly sendErrors: number
}

class UdpTransport implements Transport {
  sendErrors = 0
  private handler?: (buf: Buffer, from: string) => void
  private pending = 0
  private drained?: () => void

  constructor(readonly address: string, private readonly port: number, private readonly socket: Socket) {
    socket.on('message', (buf, rinfo) => this.handler?.(buf, rinfo.address))
    // Asynchronous ICMP errors (port unreachable on a dead peer) arrive here on Linux; they are not fatal.
    socket.on('error', () => this.sendErrors++)
  }

  send(address: string, buf: Buffer): void {
    this.pending++
    this.socket.send(buf, this.port, address, (err) => {
      if (err) this.sendErrors++
      if (--this.pending === 0) this.drained?.()
    })
  }

  onMessage(handler: (buf: Buffer, from: string) => void): void {
    this.handler = handler
  }

  /** Closes after the datagrams already handed over are sent (a leave must get out), or after 200 ms. */
  async close(): Promise<void> {
    if (this.pending > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200)
        this.drained = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve())
      } catch {
        resolve()
      }
    })
  }
}

/** Bind UDP `address`:`port` (the member's address; every member uses the same port). Rejects with the bind error. */
export function bindUdp(address: string, port: number): Promise<Transport> {
  // Members' addresses are IP literals (membership.ts checks them): resolve them in place, instead of dgram's default
  // dns.lookup, which costs a lookup object and a tick per datagram — most of an idle speaker's own work.
  const socket = createSocket({type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false,
    lookup: (host: string, family: unknown, cb: (err: Error | null, address: string, family: number) => void) => cb(null, host, isIPv6(host) ? 6 : 4)} as SocketOptions)
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close()
      reject(err)
    }
    socket.once('error', onError)
    socket.bind({port, address, exclusive: true}, () => {
      socket.off('error', onError)
      socket.unref()
      resolve(new UdpTransport(address, port, socket))
    })
  })
}
