import {describe, expect, it} from 'vitest'
import {poll} from '../../harness/poll.js'
import type {Service} from '../../../src/lib/api/types.js'
import {annotationDiffers, desiredFor, eventsFor, slimService, statusDiffers, type Decision} from '../../../src/controller/decisions.js'
import {parseFlags} from '../../../src/controller/flags.js'
import {EventRecorder, RateLimiter} from '../../../src/lib/kube/events.js'
import type {Kube} from '../../../src/lib/kube/client.js'

const svc = (o: {ingress?: string[]; ann?: Record<string, string>; type?: string} = {}): Service => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: {name: 's', namespace: 'default', uid: 'u1', resourceVersion: '3', annotations: o.ann, managedFields: [{}]} as Service['metadata'],
  spec: {type: o.type ?? 'LoadBalancer', ports: [{port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30000}], selector: {app: 's'}, clusterIP: '10.96.0.1'},
  status: o.ingress ? {loadBalancer: {ingress: o.ingress.map((ip) => ({ip}))}} : undefined,
})
const assigned = (ips: string[], pool = 'p'): Decision => ({kind: 'assigned', ips, pool, kept: false, sharedWith: []})

describe('decisions', () => {
  it('asks for ingress and annotation, and sees when they already match (address text is canonicalised)', () => {
    const want = desiredFor(assigned(['2001:db8::1']), svc())!
    expect(want).toEqual({ingress: ['2001:db8::1'], pool: 'p'})
    const done = svc({ingress: ['2001:DB8:0::1'], ann: {'metallb.io/ip-allocated-from-pool': 'p'}})
    expect(statusDiffers(done, want)).toBe(false)
    expect(annotationDiffers(done, want)).toBe(false)
    expect(annotationDiffers(svc({ingress: ['2001:db8::1'], ann: {'metallb.io/ip-allocated-from-pool': 'p', 'metallb.universe.tf/ip-allocated-from-pool': 'p'}}), want)).toBe(true)
  })

  it('clears a service it no longer serves only when the status is ours', () => {
    const gone: Decision = {kind: 'released', why: 'otherClass'}
    expect(desiredFor(gone, svc({ingress: ['1.2.3.4']}))).toBeUndefined()
    expect(desiredFor(gone, svc({ingress: ['1.2.3.4'], ann: {'metallb.io/ip-allocated-from-pool': 'p'}}))).toEqual({ingress: []})
    // A second lbctl with its own class writes the same annotation: its services are not ours to clear.
    expect(desiredFor(gone, svc({ingress: ['1.2.3.4'], ann: {'metallb.io/ip-allocated-from-pool': 'theirs'}}), (n) => n === 'p')).toBeUndefined()
    expect(desiredFor(gone, svc({ingress: ['1.2.3.4'], ann: {'metallb.io/ip-allocated-from-pool': 'p'}}), (n) => n === 'p')).toEqual({ingress: []})
    expect(desiredFor({kind: 'released', why: 'notLoadBalancer'}, svc({ingress: ['1.2.3.4']}))).toEqual({ingress: []})
    expect(desiredFor({kind: 'released', why: 'notLoadBalancer'}, svc())).toBeUndefined()
  })

  it('emits events only when the decision changes', () => {
    const fail: Decision = {kind: 'failed', failure: {reason: 'poolExhausted', pools: ['p'], family: 'IPv4'}}
    expect(eventsFor(undefined, fail, [])).toEqual([{type: 'Warning', reason: 'AllocationFailed', message: 'poolExhausted: no IPv4 address left in pool p'}])
    expect(eventsFor(fail, fail, [])).toEqual([])
    expect(eventsFor(fail, assigned(['1.2.3.4']), []).map((e) => e.reason)).toEqual(['IPAllocated'])
    expect(eventsFor(assigned(['1.2.3.4']), assigned(['1.2.3.4']), [])).toEqual([])
    expect(eventsFor(undefined, assigned(['1.2.3.4']), ['metallb.universe.tf/address-pool'])[0]).toMatchObject({type: 'Warning', reason: 'DeprecatedAnnotation'})
  })

  it('slimService keeps what the controller reads and drops the rest', () => {
    const s = slimService({...svc({ann: {'metallb.io/address-pool': 'p', 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(5000)}})})
    expect(s.metadata).not.toHaveProperty('managedFields')
    expect(s.metadata.annotations).toEqual({'metallb.io/address-pool': 'p'})
    expect(s.spec).toMatchObject({type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}]})
    expect(s.spec?.selector).toBeUndefined()
    expect(slimService(svc({type: 'LoadBalancer'}) as Service).spec).not.toHaveProperty('clusterIP')
  })
})

describe('flags', () => {
  it('defaults, and the documented forms', () => {
    const f = parseFlags([], {})
    expect(f).toMatchObject({namespace: 'metallb-system', metricsPort: 7472, healthPort: 7473, leaderElect: true, leaseDurationMs: 15_000, logLevel: 'info'})
    expect(parseFlags(['--leader-elect=false', '--lease-duration', '2500ms', '--lb-class', 'x/y'], {}).leaderElect).toBe(false)
    expect(parseFlags(['--no-leader-elect'], {}).leaderElect).toBe(false)
    expect(parseFlags([], {POD_NAMESPACE: 'lb', POD_NAME: 'ctl-0'})).toMatchObject({namespace: 'lb', identity: `ctl-0_${process.pid}`})
    expect(parseFlags(['--lease-duration', '1m30s'], {}).leaseDurationMs).toBe(90_000)
    expect(parseFlags(['--lease-duration', '20'], {}).leaseDurationMs).toBe(20_000)
  })

  it('refuses what it does not understand, with a typed error', () => {
    expect(() => parseFlags(['--bogus'], {})).toThrow(expect.objectContaining({code: 'INVALID_FLAG'}))
    expect(() => parseFlags(['--lease-duration', 'soon'], {})).toThrow(/lease-duration/)
    expect(() => parseFlags(['--lease-duration', '500ms'], {})).toThrow(expect.objectContaining({code: 'DURATION_OUT_OF_RANGE'}))
    expect(() => parseFlags(['--metrics-port', '70000'], {})).toThrow(/port/)
    expect(() => parseFlags(['--leader-elect=maybe'], {})).toThrow(/boolean/)
  })
})

describe('event rate limiting', () => {
  it('a token bucket refills with time', () => {
    const clock = {t: 0}
    const rl = new RateLimiter(2, 1000, () => clock.t)
    expect([rl.allow('x'), rl.allow('x'), rl.allow('x')]).toEqual([true, true, false])
    expect(rl.allow('y')).toBe(true)
    clock.t += 1000
    expect([rl.allow('x'), rl.allow('x')]).toEqual([true, false])
  })

  it('a stuck service cannot flood the event store', async () => {
    const created: any[] = []
    const patched: any[] = []
    const kube = {create: async (e: any) => void created.push(e), mergePatch: async (_r: unknown, _n: string, _ns: string, p: any) => void patched.push(p)} as unknown as Kube
    const clock = {t: 0}
    const rec = new EventRecorder(kube, {component: 'c', instance: 'i', now: () => clock.t, perObject: {burst: 3, everyMs: 10_000}, dedupeMs: 60_000})
    const target = {kind: 'Service', metadata: {name: 's', namespace: 'default', uid: 'u'}}
    for (let i = 0; i < 100; i++) rec.record(target, 'Warning', 'AllocationFailed', 'same')
    for (let i = 0; i < 100; i++) rec.record(target, 'Warning', 'AllocationFailed', `different ${i}`)
    // the suppressed ones are counted at once; the three admitted are written in the background
    expect(rec.stats.suppressed).toBe(197)
    await poll(() => rec.stats.recorded === 3, {what: 'the three admitted events to be written'})
    expect(created).toHaveLength(3)
    expect(rec.stats.suppressed).toBe(197)
    expect(created[0]).toMatchObject({involvedObject: {kind: 'Service', name: 's', uid: 'u'}, reason: 'AllocationFailed', reportingInstance: 'i', type: 'Warning'})
    // The 99 repeats of 'same' cost one count write (the series' start), carrying all of them.
    await poll(() => rec.stats.counted === 1, {what: 'the count of the repeats'})
    expect(patched).toEqual([expect.objectContaining({count: 100})])
    clock.t += 61_000
    expect(rec.record(target, 'Warning', 'AllocationFailed', 'same')).toBe(true)
  })

  it('an event dropped unsent (leadership lost) is created when it is recorded again, not taken for a repeat', async () => {
    const created: any[] = []
    const kube = {create: async (e: any) => void created.push(e), mergePatch: async () => undefined} as unknown as Kube
    let leading = true
    const rec = new EventRecorder(kube, {component: 'c', instance: 'i', canWrite: () => leading, concurrency: 1})
    const target = {kind: 'Service', metadata: {name: 's', namespace: 'default', uid: 'u'}}
    const other = {kind: 'Service', metadata: {name: 't', namespace: 'default', uid: 'v'}}
    leading = false
    expect(rec.record(target, 'Warning', 'AllocationFailed', 'pool exhausted')).toBe(true)
    rec.record(other, 'Normal', 'IPAllocated', 'x')
    rec.clear()
    expect(rec.stats.dropped).toBe(2)
    leading = true
    expect(rec.record(target, 'Warning', 'AllocationFailed', 'pool exhausted')).toBe(true)
    expect(rec.record(other, 'Normal', 'IPAllocated', 'x')).toBe(true)
    await poll(() => created.length >= 2, {what: 'both events created'})
    expect(created.map((e) => e.involvedObject.name)).toEqual(['s', 't'])
    expect(rec.record(target, 'Warning', 'AllocationFailed', 'pool exhausted')).toBe(false)
  })

  it('a repeated event raises its count instead of creating another: the first repeat at once (once the Event exists), then at most once per countEveryMs', async () => {
    const created: any[] = []
    const patched: any[] = []
    const kube = {
      create: async (e: any) => void created.push(e),
      mergePatch: async (ref: any, name: string, namespace: string, patch: any) => void patched.push({ref, name, namespace, patch}),
    } as unknown as Kube
    const clock = {t: 1_000_000}
    const rec = new EventRecorder(kube, {component: 'c', instance: 'i', now: () => clock.t, dedupeMs: 600_000, countEveryMs: 60_000})
    const target = {kind: 'Service', metadata: {name: 's', namespace: 'ns1', uid: 'u'}}
    const fire = () => rec.record(target, 'Warning', 'AllocationFailed', 'pool exhausted')
    const settle = () => new Promise((r) => setImmediate(r))
    expect(fire()).toBe(true)
    // The first repeat comes before the create has landed: its count waits for the Event, then is written.
    clock.t += 10_000
    expect(fire()).toBe(false)
    expect(patched).toEqual([])
    await poll(() => rec.stats.counted === 1, {what: 'the first repeat\'s count to be patched'})
    expect(created).toHaveLength(1)
    expect(patched).toHaveLength(1)
    expect(patched[0]).toMatchObject({ref: {kind: 'Event', apiVersion: 'v1'}, name: created[0].metadata.name, namespace: 'ns1', patch: {count: 2, series: {count: 2}}})
    // Later repeats within countEveryMs of that write are only counted.
    for (let i = 0; i < 3; i++) {
      clock.t += 10_000
      expect(fire()).toBe(false)
    }
    // the mock client settles at once: one turn of the event loop runs every write this could have started
    await settle()
    expect(patched).toHaveLength(1)
    clock.t += 30_000 // 60 s after the first repeat: the next repeat writes the count
    fire()
    await poll(() => rec.stats.counted === 2, {what: 'the count to be patched again'})
    expect(patched[1].patch).toMatchObject({count: 6, series: {count: 6}})
    expect(patched[1].patch.lastTimestamp).toBe(new Date(clock.t).toISOString().replace(/\.\d+Z$/, 'Z'))
    clock.t += 1000
    fire()
    await settle()
    expect(patched).toHaveLength(2)
    expect(created).toHaveLength(1)
    expect(rec.stats).toMatchObject({recorded: 1, counted: 2, suppressed: 6})
  })

})
