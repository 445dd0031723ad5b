import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {harness, raw, rawWatch, waitFor, type Harness} from './test-helpers.js'

let h: Harness
beforeEach(async () => {
  h = await harness({watchHistory: 3})
})
afterEach(async () => h.close())

const CMS = '/api/v1/namespaces/default/configmaps'

describe('fault injection', () => {
  it('fails the next N requests with a status, then recovers', async () => {
    h.server.faults.failNext(2, 503)
    const a = await raw(h.server, 'GET', CMS)
    const b = await raw(h.server, 'GET', CMS)
    const c = await raw(h.server, 'GET', CMS)
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200])
    expect(a.body).toMatchObject({kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', code: 503})
  })

  it('fails only requests matching a method and a path pattern', async () => {
    h.server.faults.failNext(1, 500, {method: 'POST', path: /\/configmaps$/})
    expect((await raw(h.server, 'GET', CMS)).status).toBe(200)
    expect((await raw(h.server, 'POST', '/api/v1/namespaces/default/secrets', {metadata: {name: 's'}})).status).toBe(201)
    const failed = await raw(h.server, 'POST', CMS, {metadata: {name: 'x'}})
    expect(failed.status).toBe(500)
    expect(failed.body.reason).toBe('InternalError')
    expect(h.server.store.get('v1', 'ConfigMap', 'default', 'x')).toBeUndefined()
    expect((await raw(h.server, 'POST', CMS, {metadata: {name: 'x'}})).status).toBe(201)
  })

  it('answers 429 with Retry-After', async () => {
    h.server.faults.failNext(1, 429, {retryAfterSeconds: 2})
    const res = await raw(h.server, 'GET', CMS)
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('2')
    expect(res.body).toMatchObject({reason: 'TooManyRequests', details: {retryAfterSeconds: 2}})
  })

  it('fails for a duration', async () => {
    h.server.faults.failFor(300, 503)
    expect((await raw(h.server, 'GET', CMS)).status).toBe(503)
    expect((await raw(h.server, 'GET', CMS)).status).toBe(503)
    await waitFor(async () => (await raw(h.server, 'GET', CMS)).status === 200, 3000, 'recovery')
  })

  it('adds latency to every response until cleared', async () => {
    h.server.faults.delay(150)
    const t0 = Date.now()
    await raw(h.server, 'GET', CMS)
    // a lower bound is the delay's own guarantee (timers never fire early); upper bounds are not asserted
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    // a request sent after clear() overtakes one still held by the delay
    h.server.faults.delay(5000)
    const n = h.server.requests.length
    const order: string[] = []
    const slow = raw(h.server, 'GET', CMS).then(() => order.push('delayed'))
    await waitFor(() => h.server.requests.length > n, 5000, 'the delayed request to arrive')
    h.server.faults.clear()
    await raw(h.server, 'GET', CMS).then(() => order.push('after clear'))
    await slow
    expect(order).toEqual(['after clear', 'delayed'])
  })

  it('beforeNext: another client\'s write lands first, and a write with the old resourceVersion meets the real 409 Conflict', async () => {
    const created = await raw(h.server, 'POST', CMS, {metadata: {name: 'raced'}, data: {a: '1'}})
    const rv0 = created.body.metadata.resourceVersion
    let ran = 0
    h.server.faults.beforeNext(1, () => {
      ran++
      const cm = h.server.store.get('v1', 'ConfigMap', 'default', 'raced')
      h.server.store.put({...cm, data: {...cm.data, b: 'theirs'}})
    }, {method: 'PUT', path: /\/configmaps\/raced$/})
    // Requests that do not match leave it waiting.
    expect((await raw(h.server, 'GET', `${CMS}/raced`)).body.data).toEqual({a: '1'})
    const other = await raw(h.server, 'POST', CMS, {metadata: {name: 'other'}})
    expect((await raw(h.server, 'PUT', `${CMS}/other`, {metadata: {name: 'other', resourceVersion: other.body.metadata.resourceVersion}, data: {x: 'y'}})).status).toBe(200)
    expect(ran).toBe(0)
    const lost = await raw(h.server, 'PUT', `${CMS}/raced`, {metadata: {name: 'raced', resourceVersion: rv0}, data: {a: '2'}})
    expect(ran).toBe(1)
    expect(lost.status).toBe(409)
    expect(lost.body).toMatchObject({kind: 'Status', reason: 'Conflict', code: 409, details: {name: 'raced', kind: 'configmaps'}})
    expect(lost.body.message).toMatch(/the object has been modified/)
    // Their write stands; ours did not land.
    expect(h.server.store.get('v1', 'ConfigMap', 'default', 'raced').data).toEqual({a: '1', b: 'theirs'})
    // Used up: the next write with the current version goes through, and nothing runs first.
    const rv1 = h.server.store.get('v1', 'ConfigMap', 'default', 'raced').metadata.resourceVersion
    expect((await raw(h.server, 'PUT', `${CMS}/raced`, {metadata: {name: 'raced', resourceVersion: rv1}, data: {a: '2'}})).status).toBe(200)
    expect(ran).toBe(1)
  })

  it('beforeNext: a status merge patch carrying a stale resourceVersion (as the controller writes) is refused, the fresh one lands', async () => {
    const SVCS = '/api/v1/namespaces/default/services'
    await raw(h.server, 'POST', SVCS, {metadata: {name: 'web'}, spec: {type: 'LoadBalancer', ports: [{port: 80}]}})
    const rv0 = h.server.store.get('v1', 'Service', 'default', 'web').metadata.resourceVersion
    h.server.faults.beforeNext(1, () => {
      const svc = h.server.store.get('v1', 'Service', 'default', 'web')
      h.server.store.put({...svc, metadata: {...svc.metadata, labels: {team: 'b'}}})
    }, {method: 'PATCH', path: /\/services\/web\/status$/})
    const patch = (rv: string) => raw(h.server, 'PATCH', `${SVCS}/web/status`, {metadata: {resourceVersion: rv}, status: {loadBalancer: {ingress: [{ip: '203.0.113.9'}]}}},
      {'Content-Type': 'application/merge-patch+json'})
    const lost = await patch(rv0)
    expect(lost.status).toBe(409)
    expect(lost.body).toMatchObject({reason: 'Conflict', details: {name: 'web', kind: 'services'}})
    const fresh = h.server.store.get('v1', 'Service', 'default', 'web')
    expect(fresh.metadata.labels).toEqual({team: 'b'})
    expect(fresh.status?.loadBalancer?.ingress ?? []).toEqual([])
    const won = await patch(fresh.metadata.resourceVersion)
    expect(won.status).toBe(200)
    expect(won.body.status.loadBalancer.ingress).toEqual([{ip: '203.0.113.9'}])
  })

  it('clear() removes pending failures and interlopers', async () => {
    let ran = false
    h.server.faults.beforeNext(1, () => void (ran = true))
    h.server.faults.clear()
    expect((await raw(h.server, 'GET', CMS)).status).toBe(200)
    expect(ran).toBe(false)
  })

  it('clear() removes pending failures', async () => {
    h.server.faults.failNext(5, 500)
    h.server.faults.clear()
    expect((await raw(h.server, 'GET', CMS)).status).toBe(200)
  })

  it('records each request in the log, including failed ones', async () => {
    const n = h.server.requests.length
    h.server.faults.failNext(1, 503)
    await raw(h.server, 'GET', `${CMS}?limit=1`)
    await raw(h.server, 'DELETE', `${CMS}/nope`)
    expect(h.server.requests.slice(n)).toEqual([
      {method: 'GET', path: CMS, query: '?limit=1', status: 503},
      {method: 'DELETE', path: `${CMS}/nope`, query: '', status: 404, user: 'kubernetes-admin'},
    ])
    expect(h.server.requests.slice(n).some((r) => r.method !== 'GET' && r.status < 300)).toBe(false)
  })
})

describe('stop and restart', () => {
  it('keeps the data and the port, refuses connections while stopped, and ends open watches', async () => {
    await raw(h.server, 'POST', CMS, {metadata: {name: 'kept'}})
    const url = h.server.url
    const w = await rawWatch(h.server, `${CMS}?watch=true`)
    await waitFor(() => w.events.length === 1, 5000, 'initial event')
    await h.server.stop()
    await w.ended
    await expect(fetch(`${url}/version`)).rejects.toThrow()
    await h.server.restart()
    expect(h.server.url).toBe(url)
    const got = await raw(h.server, 'GET', `${CMS}/kept`)
    expect(got.status).toBe(200)
  })

  it('forgets watch history on restart: watching from a version older than the restart gets 410', async () => {
    const rv = h.server.store.resourceVersion
    await raw(h.server, 'POST', CMS, {metadata: {name: 'after'}})
    await h.server.restart()
    const w = await rawWatch(h.server, `${CMS}?watch=true&resourceVersion=${rv}`)
    await w.ended
    expect(w.events).toEqual([{type: 'ERROR', object: expect.objectContaining({code: 410, reason: 'Expired'})}])
    // the current version is fine
    const now = await rawWatch(h.server, `${CMS}?watch=true&resourceVersion=${h.server.store.resourceVersion}`)
    await raw(h.server, 'POST', CMS, {metadata: {name: 'later'}})
    await waitFor(() => now.events.length === 1, 5000, 'event after restart')
    expect(now.events[0].type).toBe('ADDED')
    now.close()
  })
})
