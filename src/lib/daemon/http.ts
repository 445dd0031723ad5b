// A daemon's /metrics, /healthz and /readyz. Each has its own bind address and port; when both are the same, one
// server answers all three. Port 0 picks a free port; the bound ports are returned (daemons log them).
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Registry} from 'prom-client'
import {LbctlError} from '../errors.js'

export interface Probe {
  /** Liveness: the process is serving its loop. */
  healthy: () => boolean
  /** Readiness: caches are synced and a configuration is known. */
  ready: () => {ok: boolean; detail: string}
}

export interface Endpoints {
  metrics?: Registry
  probe?: Probe
}

export interface Listen {
  host: string
  port: number
}

/** One HTTP server for the given endpoints. Fails with a conflict (port in use) or missing (no permission) error. */
export async function serve(listen: Listen, e: Endpoints): Promise<{server: Server; port: number}> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const text = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, {'content-type': type})
      res.end(body)
    }
    if (path === '/metrics' && e.metrics) {
      e.metrics.metrics().then((body) => text(200, body, e.metrics!.contentType), (err) => text(500, String(err)))
    } else if (path === '/healthz' && e.probe) {
      if (e.probe.healthy()) text(200, 'ok\n')
      else text(503, 'shutting down\n')
    } else if (path === '/readyz' && e.probe) {
      const r = e.probe.ready()
      text(r.ok ? 200 : 503, `${r.detail}\n`)
    } else text(404, 'not found\n')
  })
  server.keepAliveTimeout = 5000
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(listen.port, listen.host, () => resolve())
    })
  } catch (err) {
    throw listenError(err, listen)
  }
  return {server, port: (server.address() as AddressInfo).port}
}

function listenError(err: unknown, l: Listen): LbctlError {
  const code = (err as {code?: string}).code
  const where = `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`
  if (code === 'EADDRINUSE') return new LbctlError(`cannot listen on ${where}: the port is in use`, {code: 'LISTEN_IN_USE', category: 'conflict', cause: err, hint: 'Stop what holds the port, or choose another port.'})
  if (code === 'EACCES') return new LbctlError(`cannot listen on ${where}: permission denied`, {code: 'LISTEN_DENIED', category: 'missing', cause: err, hint: 'Use a port above 1023, or grant CAP_NET_BIND_SERVICE.'})
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new LbctlError(`cannot listen on ${where}: no such local address`, {code: 'LISTEN_ADDRESS', category: 'bad-input', cause: err, hint: 'Use an address of this host, 0.0.0.0 or ::.'})
  return new LbctlError(`cannot listen on ${where}: ${(err as Error).message}`, {code: 'LISTEN_FAILED', category: 'bug', cause: err})
}

export interface DaemonEndpoints {
  metricsPort: number
  healthPort: number
  servers: Server[]
  close(): Promise<void>
}

/** Serve metrics on `metrics` and the probes on `health` (one server when both are the same address and port). */
export async function serveEndpoints(at: {metrics: Listen; health: Listen}, e: {metrics: Registry; probe: Probe}): Promise<DaemonEndpoints> {
  const servers: Server[] = []
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))))
    for (const s of servers) s.closeAllConnections?.()
  }
  try {
    const shared = at.metrics.port !== 0 && at.metrics.port === at.health.port && at.metrics.host === at.health.host
    const m = await serve(at.metrics, {metrics: e.metrics, probe: shared ? e.probe : undefined})
    servers.push(m.server)
    const h = shared ? m : await serve(at.health, {probe: e.probe})
    if (!shared) servers.push(h.server)
    return {metricsPort: m.port, healthPort: h.port, servers, close}
  } catch (err) {
    await close()
    throw err
  }
}
