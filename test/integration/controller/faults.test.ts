// API faults: dropped watches, 410 Gone, 5xx/429, the API server gone for a while. The controller recovers by itself
// and never releases or changes an assignment because it could not read or write something.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {crdManifests} from '../../../src/lib/api/crds.js'
import {type ApiServer, startApiServer} from '../../harness/apiserver/index.js'
import {type Daemon, illegalSharing, poolObj, startController, svcObj, waitFor} from './helpers.js'

const OUTAGE_MS = Number(process.env.LBCTL_OUTAGE_MS ?? 8000)

describe('controller under API faults', () => {
  let server: ApiServer
  let ctl: Daemon
  let dir: string
  let next = 0
  const ingress = (n: string) => (server.store.get('v1', 'Service', 'default', n)?.status?.loadBalancer?.ingress ?? []).map((i: {ip: string}) => i.ip)
  const snapshot = () => Object.fromEntries(server.store.list('v1', 'Service').map((s) => [s.metadata.name, ingress(s.metadata.name)]))
  /** Addresses held before must still be held, unchanged (services created since may be added). */
  const keptAll = (before: Record<string, string[]>) => {
    const now = snapshot()
    for (const [n, ips] of Object.entries(before)) if (ips.length) expect(now[n], n).toEqual(ips)
  }
  const create = (n: number) => {
    const names = Array.from({length: n}, () => `s${next++}`)
    for (const name of names) server.store.put(svcObj(name))
    return names
  }
  const allServed = (names: string[], what: string, timeout = 30_000) => waitFor(() => names.every((n) => ingress(n).length === 1), {what, timeout})

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lbctl-faults-'))
    // A short watch history, so a watch resumed after a gap gets 410 Gone and the informer must list again.
    server = await startApiServer({crds: crdManifests(), watchHistory: 20})
    await server.writeKubeconfig(join(dir, 'kc'))
    server.store.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'metallb-system'}})
    server.store.put(poolObj('p', ['10.20.0.0/16']))
    ctl = await startController(join(dir, 'kc'), ['--lease-duration', '2s'])
    await allServed(create(20), 'the first services')
  })
  afterAll(async () => {
    await ctl?.stop()
    await server?.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  it('recovers from dropped watch streams', async () => {
    const before = snapshot()
    server.faults.dropWatches({abrupt: true})
    await allServed(create(20), 'services created after the drop')
    server.faults.dropWatches()
    await allServed(create(20), 'services created after a clean end')
    keptAll(before)
  })

  it('lists again after 410 Gone', async () => {
    const before = snapshot()
    const relists = async () => (await ctl.metric('lbctl_controller_informer_errors_total', 'resource="services",phase="watch"')) ?? 0
    const errs = await relists()
    const lists = () => server.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/services' && !r.query.includes('watch=true')).length
    const listed = lists()
    // 60 events (three times the history) happen before the controller can watch again: resuming is refused.
    server.faults.dropWatches({abrupt: true})
    const names = create(60)
    await allServed(names, 'services created during the gap')
    expect(await relists()).toBeGreaterThan(errs)
    // The resumed watch got 410 Gone (an ERROR event in a 200 stream, as a real API server sends it): listed again.
    await waitFor(() => lists() > listed, {what: 'a fresh list of services'})
    expect(ctl.logs.some((l) => l.resource === 'services' && /too old resource version/.test(l.err ?? ''))).toBe(true)
    keptAll(before)
  })

  it('retries writes through 5xx and 429', async () => {
    const before = snapshot()
    server.faults.failFor(2000, 503, {method: 'PATCH'})
    // Each 429 asks for a 1 s pause (Retry-After), which the controller honours: a dozen of them, after the 503s, is
    // enough to exercise it without the run depending on how the retries line up.
    server.faults.failNext(12, 429, {method: 'PATCH', retryAfterSeconds: 1})
    const patches = () => server.requests.filter((r) => r.method === 'PATCH').length
    const sent = patches()
    await allServed(create(30), 'services created while writes fail', 50_000)
    expect(patches() - sent).toBeGreaterThan(60 + 12) // 2 writes per service, plus at least the refused ones again
    keptAll(before)
    expect(illegalSharing(server.store.list('v1', 'Service'))).toEqual([])
  }, 60_000)

  it(`survives the API server being gone for ${OUTAGE_MS / 1000} s, changing nothing`, async () => {
    const before = snapshot()
    await server.stop()
    await new Promise((r) => setTimeout(r, OUTAGE_MS))
    expect(ctl.proc.exitCode).toBeNull()
    await server.restart()
    const names = create(20)
    await allServed(names, 'services created after the outage', 60_000)
    keptAll(before)
    const all = server.store.list('v1', 'Service')
    expect(illegalSharing(all)).toEqual([])
    expect(new Set(all.flatMap((s) => ingress(s.metadata.name))).size).toBe(all.length)
    expect(ctl.logs.some((l) => l.msg === 'became leader' && l.time > ctl.logs.find((x) => x.msg === 'not leader (lost or released the lease); stopped writing')?.time)).toBe(true)
  }, 120_000)
})
