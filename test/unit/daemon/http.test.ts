import {Registry, Counter} from 'prom-client'
import {afterEach, describe, expect, it} from 'vitest'
import {type DaemonEndpoints, serveEndpoints} from '../../../src/lib/daemon/http.js'

const open: DaemonEndpoints[] = []
afterEach(async () => {
  for (const e of open.splice(0)) await e.close()
})

function registry(): Registry {
  const r = new Registry()
  new Counter({name: 'test_total', help: 'x', registers: [r]}).inc(3)
  return r
}

describe('daemon endpoints', () => {
  it('serves /metrics and the probes on their own addresses and ports', async () => {
    let ready = false
    const e = await serveEndpoints({metrics: {host: '127.0.0.1', port: 0}, health: {host: '127.0.0.1', port: 0}},
      {metrics: registry(), probe: {healthy: () => true, ready: () => ({ok: ready, detail: `ready=${ready}`})}})
    open.push(e)
    expect(e.metricsPort).not.toBe(e.healthPort)
    expect(await (await fetch(`http://127.0.0.1:${e.metricsPort}/metrics`)).text()).toContain('test_total 3')
    expect((await fetch(`http://127.0.0.1:${e.metricsPort}/healthz`)).status).toBe(404)
    const r = await fetch(`http://127.0.0.1:${e.healthPort}/readyz`)
    expect([r.status, await r.text()]).toEqual([503, 'ready=false\n'])
    ready = true
    expect((await fetch(`http://127.0.0.1:${e.healthPort}/readyz`)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${e.healthPort}/healthz`)).status).toBe(200)
  })

  it('a port in use is a conflict naming the address; nothing is left listening', async () => {
    const probe = {healthy: () => true, ready: () => ({ok: true, detail: ''})}
    const first = await serveEndpoints({metrics: {host: '127.0.0.1', port: 0}, health: {host: '127.0.0.1', port: 0}}, {metrics: registry(), probe})
    open.push(first)
    const err = await serveEndpoints({metrics: {host: '127.0.0.1', port: 0}, health: {host: '127.0.0.1', port: first.healthPort}}, {metrics: registry(), probe}).catch((e: unknown) => e)
    expect(err).toMatchObject({code: 'LISTEN_IN_USE', category: 'conflict', message: `cannot listen on 127.0.0.1:${first.healthPort}: the port is in use`})
  })

  it('one server answers everything when metrics and health share address and port', async () => {
    const probe = {healthy: () => true, ready: () => ({ok: true, detail: 'ok'})}
    const first = await serveEndpoints({metrics: {host: '127.0.0.1', port: 0}, health: {host: '127.0.0.1', port: 0}}, {metrics: registry(), probe})
    const port = first.metricsPort
    await first.close()
    const e = await serveEndpoints({metrics: {host: '127.0.0.1', port}, health: {host: '127.0.0.1', port}}, {metrics: registry(), probe})
    open.push(e)
    expect([e.servers.length, e.healthPort]).toEqual([1, port])
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200)
  })
})
