// A BGP speaker written for tests: it answers `lbctl bgp probe` over real TCP on 127.0.0.1 and records every message
// it receives (type, and code/subcode of NOTIFICATIONs), so a test can see whether the probe said goodbye with a Cease.
import {createServer, type AddressInfo, type Socket} from 'node:net'

export interface Received {
  type: 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh' | 'unknown'
  code?: number
  subcode?: number
}

export interface PeerBehaviour {
  /** What to answer our OPEN with: its OPEN and a KEEPALIVE (default), its OPEN only (we stay in OpenConfirm), nothing. */
  reply?: 'open' | 'open-no-keepalive' | 'silent'
  /** Extra capabilities in its OPEN: [code, value bytes]. */
  capabilities?: [number, Buffer][]
}

export interface RecordingPeer {
  port: number
  /** TCP connections accepted. */
  connections: number
  received: Received[]
  /** Resolves once a message matching `pred` has arrived (or rejects after `ms`). */
  waitFor(pred: (m: Received) => boolean, ms?: number): Promise<void>
  close(): Promise<void>
}

const TYPES: Received['type'][] = ['unknown', 'open', 'update', 'notification', 'keepalive', 'route-refresh']

function message(type: number, body: Buffer): Buffer {
  const b = Buffer.alloc(19 + body.length, 0xff)
  b.writeUInt16BE(19 + body.length, 16)
  b[18] = type
  body.copy(b, 19)
  return b
}

/** Its OPEN: AS 64497, hold time 90, router ID 198.18.0.1, the given capabilities in one parameter (RFC 5492). */
function open(capabilities: [number, Buffer][]): Buffer {
  const caps = Buffer.concat(capabilities.map(([code, value]) => Buffer.concat([Buffer.from([code, value.length]), value])))
  const params = caps.length ? Buffer.concat([Buffer.from([2, caps.length]), caps]) : Buffer.alloc(0)
  return message(1, Buffer.concat([Buffer.from([4, 0xfb, 0xf1, 0, 90, 198, 18, 0, 1, params.length]), params]))
}

export async function recordingPeer(behaviour: PeerBehaviour = {}): Promise<RecordingPeer> {
  const reply = behaviour.reply ?? 'open'
  const sockets: Socket[] = []
  const waiters: {pred: (m: Received) => boolean; resolve: () => void}[] = []
  const peer: RecordingPeer = {
    port: 0, connections: 0, received: [],
    waitFor: (pred, ms = 10_000) => new Promise((resolve, reject) => {
      if (peer.received.some(pred)) return resolve()
      const t = setTimeout(() => reject(new Error(`no such message within ${ms} ms; received ${JSON.stringify(peer.received)}`)), ms)
      waiters.push({pred, resolve: () => { clearTimeout(t); resolve() }})
    }),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
  const record = (m: Received): void => {
    peer.received.push(m)
    for (const w of waiters.splice(0)) {
      if (w.pred(m)) w.resolve()
      else waiters.push(w)
    }
  }
  const server = createServer((c) => {
    peer.connections++
    sockets.push(c)
    let buf = Buffer.alloc(0)
    let eorSent = false
    c.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      while (buf.length >= 19 && buf.length >= buf.readUInt16BE(16)) {
        const len = buf.readUInt16BE(16)
        const m = buf.subarray(0, len)
        buf = buf.subarray(len)
        const type = TYPES[m[18]] ?? 'unknown'
        record(type === 'notification' ? {type, code: m[19], subcode: m[20]} : {type})
        if (type === 'open' && reply !== 'silent') {
          c.write(Buffer.concat([open(behaviour.capabilities ?? []), reply === 'open' ? message(4, Buffer.alloc(0)) : Buffer.alloc(0)]))
        }
        // End-of-RIB (an empty UPDATE) once our KEEPALIVE confirms, as a router does.
        if (type === 'keepalive' && reply === 'open' && !eorSent) {
          eorSent = true
          c.write(message(2, Buffer.alloc(4)))
        }
      }
    })
    c.on('error', () => undefined)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  peer.port = (server.address() as AddressInfo).port
  return peer
}
