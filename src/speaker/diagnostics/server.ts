// The speaker's diagnostics endpoint (CONTRACTS.md): HTTPS, every request authenticated and authorized (auth.ts),
// read-only, rate-limited, and `/v1/probe` only for addresses inside the cluster's IPAddressPools — never a general
// packet-sending service. Answers follow src/speaker/diagnostics/schema.json.
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {RateLimiter} from '../../lib/kube/events.js'
import {formatIP, tryParseIP} from '../../lib/net/index.js'
import type {Authorizer} from './auth.js'
import type {NodeInterface} from './interfaces.js'

export interface ProbeAnswerJson {
  interface: string
  status: string
  answers: Array<{mac: string; ip: string; rttMs?: number}>
}

export interface DiagnosticsSource {
  node: string
  /** Whether the address lies inside one of the cluster's IPAddressPools. */
  inPools: (address: string) => boolean
  /** Interfaces the probe may use (the ones the L2 engine could serve); the first is the default. */
  interfaces: () => string[]
  probe: (address: string, iface: string, timeoutMs: number) => Promise<ProbeAnswerJson>
  bgp: () => {sessions: unknown[]; routes: unknown[]}
  /** `interfaces`: the node's links with their MACs (interfaces.ts), so callers can tell whose MAC answers. */
  l2: () => {owned: Array<{address: string; interfaces: string[]; services: string[]}>; membership: {source: string; alive: string[]; reason?: string}; interfaces: NodeInterface[]}
}

export interface DiagnosticsOptions {
  host: string
  port: number
  tls: {key: string; cert: string}
  authorize: Authorizer
  source: DiagnosticsSource
  /** Requests per caller (remote address) and in all: a burst, then one more every `everyMs` (default 10 then 1 per 200 ms). */
  rate?: {burst: number; everyMs: number}
  now?: () => number
}

const MAX_PROBE_TIMEOUT_MS = 2000

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

export async function startDiagnostics(o: DiagnosticsOptions): Promise<{server: Server; port: number; close: () => Promise<void>}> {
  const rate = o.rate ?? {burst: 10, everyMs: 200}
  const perCaller = new RateLimiter(rate.burst, rate.everyMs, o.now)
  const overall = new RateLimiter(rate.burst * 5, rate.everyMs / 5, o.now)
  let probing = 0
  const handle = async (req: IncomingMessage): Promise<unknown> => {
    if (req.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'read-only: only GET')
    const caller = req.socket.remoteAddress ?? '?'
    if (!perCaller.allow(caller) || !overall.allow('all')) throw new HttpError(429, 'RATE_LIMITED', 'too many requests; try again in a second')
    const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const a = await o.authorize(auth)
    if (!a.ok) throw new HttpError(a.status, a.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', a.message)
    const url = new URL(req.url ?? '/', 'https://speaker')
    switch (url.pathname) {
      case '/v1/probe': {
        const raw = url.searchParams.get('address') ?? ''
        const ip = tryParseIP(raw)
        if (!ip) throw new HttpError(400, 'BAD_ADDRESS', `address ${JSON.stringify(raw)} is not an IPv4 or IPv6 address`)
        const address = formatIP(ip)
        if (!o.source.inPools(address)) throw new HttpError(403, 'NOT_IN_POOLS', `${address} is in no IPAddressPool of this cluster: the speaker probes only service addresses`)
        const ifaces = o.source.interfaces()
        const iface = url.searchParams.get('interface') ?? ifaces[0]
        if (!iface || !ifaces.includes(iface)) throw new HttpError(400, 'BAD_INTERFACE', `interface ${JSON.stringify(iface ?? '')} is not one this speaker serves (${ifaces.join(', ') || 'none'})`)
        const t = url.searchParams.get('timeoutMs')
        const timeoutMs = t === null ? 500 : Number(t)
        if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_PROBE_TIMEOUT_MS) throw new HttpError(400, 'BAD_TIMEOUT', `timeoutMs must be a whole number from 1 to ${MAX_PROBE_TIMEOUT_MS}`)
        if (probing >= 2) throw new HttpError(429, 'RATE_LIMITED', 'two probes are running; try again when they are done')
        probing++
        try {
          return {node: o.source.node, address, results: [await o.source.probe(address, iface, timeoutMs)]}
        } finally {
          probing--
        }
      }
      case '/v1/bgp':
        return {node: o.source.node, ...o.source.bgp()}
      case '/v1/l2':
        return {node: o.source.node, ...o.source.l2()}
      default:
        throw new HttpError(404, 'NOT_FOUND', `no such path ${url.pathname}: /v1/probe, /v1/bgp, /v1/l2`)
    }
  }
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, {'content-type': 'application/json'})
    res.end(`${JSON.stringify(body)}\n`)
  }
  const server = createServer({key: o.tls.key, cert: o.tls.cert}, (req, res) => {
    handle(req).then((body) => send(res, 200, body), (e) => {
      if (e instanceof HttpError) send(res, e.status, {error: {code: e.code, message: e.message}})
      else send(res, 500, {error: {code: 'INTERNAL', message: (e as Error).message}})
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, o.host, () => resolve())
  })
  return {server, port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => {
      server.close(() => r())
      server.closeAllConnections()
    })}
}
