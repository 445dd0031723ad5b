// /metrics, /healthz and /readyz. Port 0 picks a free port; the bound port is returned (and logged by main).
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Registry} from 'prom-client'

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

export async function serve(port: number, e: Endpoints, host = '0.0.0.0'): Promise<{server: Server; port: number}> {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {server, port: (server.address() as AddressInfo).port}
}
