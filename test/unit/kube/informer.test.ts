import {describe, expect, it, vi} from 'vitest'
import type {Kube} from '../../../src/lib/kube/client.js'
import {Informer} from '../../../src/lib/kube/informer.js'

interface Obj {
  metadata: {name: string; namespace?: string; resourceVersion: string}
  v?: number
}
const obj = (name: string, rv: number, v = 0): Obj => ({metadata: {name, namespace: 'ns', resourceVersion: String(rv)}, v})

/** A fake API: scripted list answers, and watch streams the test drives. */
function fakeKube(lists: Array<() => {items: Obj[]; resourceVersion: string}>) {
  const watches: Array<{rv?: string; send: (t: string, o: Obj) => void; end: (err?: unknown) => void; stopped: boolean}> = []
  let n = 0
  const kube = {
    async list() {
      const f = lists[Math.min(n++, lists.length - 1)]
      return f()
    },
    async watch(_ref: unknown, opts: {resourceVersion?: string}, onEvent: (t: string, o: Obj) => void, done: (err?: unknown) => void) {
      const w = {rv: opts.resourceVersion, send: onEvent, end: done, stopped: false}
      watches.push(w)
      return () => void (w.stopped = true)
    },
  }
  return {kube: kube as unknown as Kube, watches, listCalls: () => n}
}

const start = (k: ReturnType<typeof fakeKube>) => {
  const inf = new Informer<Obj>(k.kube, {apiVersion: 'v1', kind: 'Thing'}, {sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 2))), random: () => 0.5})
  const seen: string[] = []
  inf.on((t, o) => seen.push(`${t} ${o.metadata.name}@${o.metadata.resourceVersion}`))
  void inf.run()
  return {inf, seen}
}

describe('Informer', () => {
  it('lists, then watches from the list version; a dropped stream resumes from the last version seen', async () => {
    const k = fakeKube([() => ({items: [obj('a', 5)], resourceVersion: '7'})])
    const {inf, seen} = start(k)
    await vi.waitFor(() => expect(k.watches).toHaveLength(1))
    expect(k.watches[0].rv).toBe('7')
    k.watches[0].send('ADDED', obj('b', 8))
    k.watches[0].send('MODIFIED', obj('a', 9, 1))
    k.watches[0].send('BOOKMARK', {metadata: {name: '', resourceVersion: '12'}})
    k.watches[0].end()
    await vi.waitFor(() => expect(k.watches).toHaveLength(2))
    expect(k.watches[1].rv).toBe('12')
    expect(k.listCalls()).toBe(1)
    expect(seen).toEqual(['ADDED a@5', 'ADDED b@8', 'MODIFIED a@9'])
    expect(inf.cache.get('ns/a')?.v).toBe(1)
    inf.stop()
  })

  it('410 Gone: lists again and reports what changed meanwhile, including deletions', async () => {
    const k = fakeKube([
      () => ({items: [obj('a', 5), obj('b', 6)], resourceVersion: '7'}),
      () => ({items: [obj('a', 20, 2), obj('c', 21)], resourceVersion: '22'}),
    ])
    const {inf, seen} = start(k)
    await vi.waitFor(() => expect(k.watches).toHaveLength(1))
    k.watches[0].end(Object.assign(new Error('too old resource version'), {code: 410}))
    await vi.waitFor(() => expect(k.watches).toHaveLength(2))
    expect(k.listCalls()).toBe(2)
    expect(k.watches[1].rv).toBe('22')
    expect(seen.slice(2).sort()).toEqual(['ADDED c@21', 'DELETED b@6', 'MODIFIED a@20'])
    expect([...inf.cache.keys()].sort()).toEqual(['ns/a', 'ns/c'])
    inf.stop()
  })

  it('a failed list keeps the cache as it was; it is replaced only by a list that succeeds', async () => {
    let fail = true
    const k = fakeKube([
      () => ({items: [obj('a', 5)], resourceVersion: '7'}),
      () => {
        if (fail) throw new Error('connection refused')
        return {items: [obj('a', 5)], resourceVersion: '30'}
      },
    ])
    const {inf, seen} = start(k)
    await vi.waitFor(() => expect(k.watches).toHaveLength(1))
    k.watches[0].end(Object.assign(new Error('gone'), {code: 410}))
    await vi.waitFor(() => expect(k.listCalls()).toBeGreaterThanOrEqual(3))
    expect(inf.cache.has('ns/a')).toBe(true)
    expect(seen).toEqual(['ADDED a@5'])
    fail = false
    await vi.waitFor(() => expect(k.watches).toHaveLength(2))
    expect(k.watches[1].rv).toBe('30')
    inf.stop()
  })

  it('observe() takes a newer object we wrote; an older watch event does not overwrite it', async () => {
    const k = fakeKube([() => ({items: [obj('a', 5)], resourceVersion: '7'})])
    const {inf} = start(k)
    await vi.waitFor(() => expect(k.watches).toHaveLength(1))
    inf.observe(obj('a', 10, 3))
    k.watches[0].send('MODIFIED', obj('a', 10, 3))
    k.watches[0].send('MODIFIED', obj('a', 8, 1))
    expect(inf.cache.get('ns/a')?.v).toBe(3)
    inf.stop()
  })
})
