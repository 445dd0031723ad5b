import {describe, expect, it} from 'vitest'
import {poll} from '../../harness/poll.js'
import {LeaderElector} from '../../../src/lib/kube/lease.js'

/** A Lease store with compare-and-swap on resourceVersion, as the API server does it. */
function fakeApi() {
  let lease: any
  let rv = 0
  let down = false
  const conflict = () => Object.assign(new Error('conflict'), {code: 'CONFLICT'})
  return {
    get lease() {
      return lease
    },
    set down(v: boolean) {
      down = v
    },
    client: {
      async get() {
        if (down) throw Object.assign(new Error('down'), {code: 'UNREACHABLE'})
        return lease && structuredClone(lease)
      },
      async create(o: any) {
        if (down) throw Object.assign(new Error('down'), {code: 'UNREACHABLE'})
        if (lease) throw conflict()
        lease = {...structuredClone(o), metadata: {...o.metadata, resourceVersion: String(++rv)}}
        return structuredClone(lease)
      },
      async replace(o: any) {
        if (down) throw Object.assign(new Error('down'), {code: 'UNREACHABLE'})
        if (o.metadata.resourceVersion !== lease.metadata.resourceVersion) throw conflict()
        lease = {...structuredClone(o), metadata: {...o.metadata, resourceVersion: String(++rv)}}
        return structuredClone(lease)
      },
    } as any,
  }
}

const elector = (api: ReturnType<typeof fakeApi>, identity: string, clock: {t: number}, log: string[] = []) =>
  new LeaderElector(undefined, {
    name: 'l', namespace: 'ns', identity, leaseDurationMs: 15_000, now: () => clock.t, client: api.client,
    onStartedLeading: () => log.push(`${identity} started`), onStoppedLeading: () => log.push(`${identity} stopped`),
  })

describe('LeaderElector', () => {
  it('the first contender takes the lease; the second waits for it to expire', async () => {
    const api = fakeApi()
    const clock = {t: 1_000_000}
    const log: string[] = []
    const a = elector(api, 'a', clock, log)
    const b = elector(api, 'b', clock, log)
    await a.tick()
    await b.tick()
    expect(a.isLeader()).toBe(true)
    expect(b.isLeader()).toBe(false)
    expect(api.lease.spec).toMatchObject({holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0})
    // a stops renewing (dies). b only takes over once 15 s have passed on b's clock since it last saw a change.
    clock.t += 14_000
    await b.tick()
    expect(b.isLeader()).toBe(false)
    clock.t += 1_001
    await b.tick()
    expect(b.isLeader()).toBe(true)
    expect(api.lease.spec).toMatchObject({holderIdentity: 'b', leaseTransitions: 1})
    expect(log).toEqual(['a started', 'b started'])
  })

  it('a holder that cannot renew stops being leader at the renew deadline, before anyone may take over', async () => {
    const api = fakeApi()
    const clock = {t: 0}
    const log: string[] = []
    const a = elector(api, 'a', clock, log)
    await a.tick()
    api.down = true
    clock.t += 9_999
    await a.tick()
    expect(a.isLeader()).toBe(true)
    clock.t += 2
    expect(a.isLeader()).toBe(false)
    a.announce()
    expect(log).toEqual(['a started', 'a stopped'])
  })

  it('the same identity after a restart renews at once; release hands the lease back', async () => {
    const api = fakeApi()
    const clock = {t: 0}
    const a = elector(api, 'a', clock)
    await a.tick()
    const again = elector(api, 'a', clock)
    await again.tick()
    expect(again.isLeader()).toBe(true)
    await again.stop(true)
    expect(api.lease.spec.holderIdentity).toBe('')
    const b = elector(api, 'b', clock)
    await b.tick()
    expect(b.isLeader()).toBe(true)
  })

  it('stop() during a renewal in flight waits for it, then hands the lease back (no lost race, no new leadership)', async () => {
    const api = fakeApi()
    const clock = {t: 0}
    const log: string[] = []
    // Every read of the lease waits until released, so stop() lands while a renewal is between its GET and PUT.
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const get = api.client.get
    let gated = false
    let held = 0
    api.client.get = async (...args: unknown[]) => {
      const v = await get(...args)
      if (gated) {
        held++
        await gate
      }
      return v
    }
    const a = elector(api, 'a', clock, log)
    const sleep = () => new Promise<void>(() => undefined)
    const run = new LeaderElector(undefined, {name: 'l', namespace: 'ns', identity: 'a', leaseDurationMs: 15_000, now: () => clock.t, client: api.client, sleep,
      onStartedLeading: () => log.push('run started'), onStoppedLeading: () => log.push('run stopped')})
    await a.tick()
    gated = true
    void run.run()
    await poll(() => held > 0, {what: 'the renewal to be held between its GET and PUT'})
    const stopping = run.stop(true)
    release()
    await stopping
    expect(api.lease.spec.holderIdentity).toBe('')
    expect(run.isLeader()).toBe(false)
    expect(log.filter((l) => l.startsWith('run'))).toEqual([])
  })

  it('two contenders racing for an expired lease: exactly one wins', async () => {
    const api = fakeApi()
    const clock = {t: 0}
    await elector(api, 'old', clock).tick()
    const a = elector(api, 'a', clock)
    const b = elector(api, 'b', clock)
    await Promise.all([a.tick(), b.tick()])
    clock.t += 16_000
    await Promise.all([a.tick(), b.tick()])
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1)
  })
})
