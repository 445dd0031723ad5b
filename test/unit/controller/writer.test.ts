// The controller's write paths on virtual time: retries and the status delay run on the injected clock, so these
// tests move time with FakeClock instead of waiting for it.
import {describe, expect, it} from 'vitest'
import type {Service} from '../../../src/lib/api/types.js'
import type {KubeApi} from '../../../src/lib/kube/rest.js'
import {Metrics} from '../../../src/controller/metrics.js'
import {StatusReporter} from '../../../src/controller/status.js'
import {StatusWriter} from '../../../src/controller/writer.js'
import {FakeClock} from '../../support/fake-clock.js'

const log = {warn: () => undefined, debug: () => undefined}
const svc = (rv: string, ips: string[] = []): Service => ({
  apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: 'default', resourceVersion: rv},
  spec: {type: 'LoadBalancer'}, status: {loadBalancer: {ingress: ips.map((ip) => ({ip}))}},
})

/** Settle the promise chains a write starts (the fake API answers in microtasks). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

describe('StatusWriter on an injected clock', () => {
  it('retries a failed write when the clock reaches the backoff, not before', async () => {
    const clock = new FakeClock()
    const patches: unknown[] = []
    let failNext = true
    let current = svc('1')
    const kube = {
      async mergePatch(_ref: unknown, _name: string, _ns: string, body: {status?: {loadBalancer: {ingress: {ip: string}[]}}}) {
        patches.push(body)
        if (failNext) {
          failNext = false
          throw Object.assign(new Error('503 from the API server'), {code: 'UNAVAILABLE'})
        }
        current = svc('2', body.status?.loadBalancer.ingress.map((i) => i.ip) ?? [])
        return current
      },
    } as unknown as KubeApi
    const w = new StatusWriter({
      kube, metrics: new Metrics(), concurrency: 1, canWrite: () => true, log, clock,
      get: () => current, desired: () => ({ingress: ['203.0.113.10']}), observe: (s) => void (current = s),
    })
    w.enqueue('default/web')
    await settle()
    expect(patches).toHaveLength(1)
    expect(clock.pending()).toBe(1)
    clock.advance(249) // the first backoff is 250–500 ms
    await settle()
    expect(patches).toHaveLength(1)
    clock.advance(251)
    await settle()
    expect(patches.length).toBeGreaterThanOrEqual(2)
    expect(current.status?.loadBalancer?.ingress).toEqual([{ip: '203.0.113.10'}])
    expect(clock.pending()).toBe(0)
  })

  it('clear() cancels a pending retry', async () => {
    const clock = new FakeClock()
    const w = new StatusWriter({
      kube: {} as KubeApi, metrics: new Metrics(), concurrency: 1, canWrite: () => false, log, clock,
      get: () => svc('1'), desired: () => ({ingress: ['203.0.113.10']}), observe: () => undefined,
    })
    w.enqueue('default/web')
    await settle()
    expect(clock.pending()).toBe(1)
    w.clear()
    expect(clock.pending()).toBe(0)
  })
})

describe('StatusReporter on an injected clock', () => {
  it('writes pool status once the interval has passed on the clock, batching changes made meanwhile', async () => {
    const clock = new FakeClock()
    const writes: Array<{name: string; body: unknown}> = []
    const kube = {
      async mergePatch(_ref: unknown, name: string, _ns: string, body: unknown) {
        writes.push({name, body})
        return {}
      },
    } as unknown as KubeApi
    const r = new StatusReporter({kube, namespace: 'metallb-system', canWrite: () => true, log, clock, intervalMs: 500})
    const counts = (n: bigint) => ({assigned: {4: n, 6: 0n}, available: {4: 10n - n, 6: 0n}, size: {4: 10n, 6: 0n}})
    r.setPool('a', counts(1n))
    r.setPool('a', counts(2n))
    clock.advance(499)
    await settle()
    expect(writes).toEqual([])
    clock.advance(1)
    await settle()
    expect(writes).toEqual([{name: 'a', body: {status: {assignedIPv4: 2, assignedIPv6: 0, availableIPv4: 8, availableIPv6: 0}}}])
    r.stop()
    expect(clock.pending()).toBe(0)
  })
})
