// A client for the speaker's diagnostics endpoint (CONTRACTS.md): HTTPS with the speaker's self-signed certificate,
// the caller's bearer token (the speaker checks it with a TokenReview and a SubjectAccessReview). Answers are checked
// field by field before use: a speaker of another version may send something else.
import https from 'node:https'

export interface ProbeAnswer {
  mac: string
  ip: string
}
export interface ProbeResult {
  interface: string
  answers: ProbeAnswer[]
}
export interface ProbeResponse {
  node: string
  address: string
  results: ProbeResult[]
}

/** One of the node's links as the speaker's `/v1/l2` reports it (src/speaker/diagnostics/interfaces.ts). */
export interface NodeInterface {
  name: string
  mac: string
  /** `usable`, or why an L2Advertisement naming it is not served there (down, noarp, loopback, member, notEthernet). */
  state: string
}

/** What doctor uses of `/v1/l2`: what the node announces, and its interfaces (absent from older speakers). */
export interface L2Report {
  node: string
  owned: Array<{address: string; interfaces: string[]; services: string[]}>
  interfaces?: NodeInterface[]
}

export class DiagnosticsError extends Error {
  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message)
    this.name = 'DiagnosticsError'
  }
}

export interface DiagnosticsOptions {
  token?: string
  /** Per request (default 3000 ms). */
  timeoutMs?: number
  /**
   * The speaker's certificate is self-signed (CONTRACTS.md), so it is not verified unless a CA is given; the token is
   * only sent to pod addresses the API server lists for speaker pods.
   */
  ca?: string
}

export interface SpeakerEndpoint {
  node: string
  /** https://host:port */
  url: string
}

export interface DiagnosticsClient {
  probe(ep: SpeakerEndpoint, address: string, opts?: {interface?: string; timeoutMs?: number}): Promise<ProbeResponse>
  get(ep: SpeakerEndpoint, path: '/v1/bgp' | '/v1/l2'): Promise<unknown>
  l2(ep: SpeakerEndpoint): Promise<L2Report>
}

export function diagnosticsClient(opts: DiagnosticsOptions = {}): DiagnosticsClient {
  const timeoutMs = opts.timeoutMs ?? 3000
  const agent = new https.Agent({keepAlive: true, maxSockets: 4, ca: opts.ca, rejectUnauthorized: opts.ca !== undefined})
  const request = (ep: SpeakerEndpoint, path: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const u = new URL(path, ep.url)
      const req = https.request(u, {method: 'GET', agent, headers: {accept: 'application/json', ...(opts.token ? {authorization: `Bearer ${opts.token}`} : {})}}, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown
          try {
            body = JSON.parse(text)
          } catch {
            body = undefined
          }
          const status = res.statusCode ?? 0
          if (status >= 200 && status < 300 && body !== undefined) return resolve(body)
          const err = (body as {error?: {code?: string; message?: string}} | undefined)?.error
          reject(new DiagnosticsError(`speaker on ${ep.node} answered HTTP ${status}${err?.message ? `: ${err.message}` : body === undefined ? ' (not JSON)' : ''}`, status, err?.code))
        })
      })
      req.setTimeout(timeoutMs, () => req.destroy(new DiagnosticsError(`speaker on ${ep.node} (${ep.url}) did not answer within ${timeoutMs} ms`, undefined, 'TIMEOUT')))
      req.on('error', (e: Error & {code?: string}) => reject(e instanceof DiagnosticsError ? e : new DiagnosticsError(`cannot reach the speaker on ${ep.node} (${ep.url}): ${e.code ?? e.message}`, undefined, e.code)))
      req.end()
    })
  return {
    async probe(ep, address, o = {}) {
      const q = new URLSearchParams({address})
      if (o.interface) q.set('interface', o.interface)
      if (o.timeoutMs) q.set('timeoutMs', String(o.timeoutMs))
      return parseProbe(await request(ep, `/v1/probe?${q}`), ep)
    },
    get: (ep, path) => request(ep, path),
    l2: async (ep) => parseL2(await request(ep, '/v1/l2'), ep),
  }
}

export function parseProbe(body: unknown, ep: SpeakerEndpoint): ProbeResponse {
  const bad = (what: string): never => {
    throw new DiagnosticsError(`speaker on ${ep.node} sent a probe answer lbctl does not understand: ${what}`, undefined, 'BAD_ANSWER')
  }
  const b = body as Partial<ProbeResponse>
  if (typeof b !== 'object' || b === null) bad('not an object')
  if (!Array.isArray(b.results)) bad('no results list')
  const results = b.results!.map((r, i) => {
    if (typeof r?.interface !== 'string') bad(`results[${i}].interface is not a string`)
    if (!Array.isArray(r.answers)) bad(`results[${i}].answers is not a list`)
    return {interface: r.interface, answers: r.answers.map((a, j) => {
      if (typeof a?.mac !== 'string' || !MAC.test(a.mac)) bad(`results[${i}].answers[${j}].mac is not a MAC address`)
      return {mac: a.mac.toLowerCase(), ip: String(a.ip ?? '')}
    })}
  })
  return {node: typeof b.node === 'string' ? b.node : ep.node, address: String(b.address ?? ''), results}
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i

export function parseL2(body: unknown, ep: SpeakerEndpoint): L2Report {
  const bad = (what: string): never => {
    throw new DiagnosticsError(`speaker on ${ep.node} sent an /v1/l2 answer lbctl does not understand: ${what}`, undefined, 'BAD_ANSWER')
  }
  const b = body as {node?: unknown; owned?: unknown; interfaces?: unknown}
  if (typeof b !== 'object' || b === null) bad('not an object')
  if (!Array.isArray(b.owned)) bad('no owned list')
  const strings = (x: unknown, what: string): string[] => (Array.isArray(x) && x.every((v) => typeof v === 'string') ? x as string[] : bad(`${what} is not a list of strings`))
  const owned = (b.owned as unknown[]).map((o, i) => {
    const x = o as {address?: unknown; interfaces?: unknown; services?: unknown}
    if (typeof x?.address !== 'string') bad(`owned[${i}].address is not a string`)
    return {address: x.address as string, interfaces: strings(x.interfaces, `owned[${i}].interfaces`), services: strings(x.services, `owned[${i}].services`)}
  })
  let interfaces: NodeInterface[] | undefined
  if (b.interfaces !== undefined) {
    if (!Array.isArray(b.interfaces)) bad('interfaces is not a list')
    interfaces = (b.interfaces as unknown[]).map((o, i) => {
      const x = o as {name?: unknown; mac?: unknown; state?: unknown}
      if (typeof x?.name !== 'string') bad(`interfaces[${i}].name is not a string`)
      if (typeof x.mac !== 'string' || (x.mac !== '' && !MAC.test(x.mac))) bad(`interfaces[${i}].mac is not a MAC address`)
      return {name: x.name as string, mac: (x.mac as string).toLowerCase(), state: typeof x.state === 'string' ? x.state : 'usable'}
    })
  }
  return {node: typeof b.node === 'string' ? b.node : ep.node, owned, ...(interfaces ? {interfaces} : {})}
}
