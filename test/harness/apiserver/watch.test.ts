import {makeInformer, Watch, type V1ConfigMap} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {harness, rawWatch, waitFor, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness({watchHistory: 5, bookmarkIntervalMs: 50})
  await h.core.createNamespace({body: {metadata: {name: 'w'}}})
})
afterAll(async () => h.close())

interface Seen {
  events: Array<{type: string; obj: any}>
  done: Promise<unknown>
  abort(): void
}

async function watch(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<Seen> {
  const events: Seen['events'] = []
  let finish!: (e: unknown) => void
  const done = new Promise((r) => (finish = r))
  const ctl = await new Watch(h.kc).watch(path, query, (type, obj) => events.push({type, obj}), (err) => finish(err ?? 'closed'))
  return {events, done, abort: () => ctl.abort()}
}

const CMS = '/api/v1/namespaces/w/configmaps'
const cm = (name: string, labels: Record<string, string> = {}) => ({metadata: {name, labels}, data: {v: '1'}})
const summary = (s: Seen) => s.events.map((e) => `${e.type} ${e.obj?.metadata?.name ?? ''}`)

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED after a resourceVersion, with the objects in order', async () => {
    const list = await h.core.listNamespacedConfigMap({namespace: 'w'})
    const s = await watch(CMS, {resourceVersion: list.metadata?.resourceVersion})
    await h.core.createNamespacedConfigMap({namespace: 'w', body: cm('a')})
    await h.core.patchNamespacedConfigMap({name: 'a', namespace: 'w', body: [{op: 'add', path: '/data/x', value: '2'}]})
    await h.core.deleteNamespacedConfigMap({name: 'a', namespace: 'w'})
    await waitFor(() => s.events.length >= 3, 5000, 'three events')
    expect(summary(s)).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a'])
    const rvs = s.events.map((e) => Number(e.obj.metadata.resourceVersion))
    expect(rvs[1]).toBeGreaterThan(rvs[0])
    expect(rvs[2]).toBeGreaterThan(rvs[1])
    expect(s.events[1].obj.data.x).toBe('2')
    expect(s.events[0].obj).toMatchObject({apiVersion: 'v1', kind: 'ConfigMap'})
    s.abort()
  })

  it('replays history after an older resourceVersion', async () => {
    const before = h.server.store.resourceVersion
    await h.core.createNamespacedConfigMap({namespace: 'w', body: cm('replayed')})
    const s = await watch(CMS, {resourceVersion: before})
    await waitFor(() => s.events.length >= 1, 5000, 'replayed event')
    expect(summary(s)).toEqual(['ADDED replayed'])
    s.abort()
  })

  it('sends ADDED for the current state first when resourceVersion is 0 or empty', async () => {
    for (const rv of ['0', undefined]) {
      const s = await watch(CMS, rv === undefined ? {} : {resourceVersion: rv})
      await waitFor(() => s.events.length >= 1, 5000, 'initial ADDED')
      expect(summary(s)).toEqual(['ADDED replayed'])
      s.abort()
    }
  })

  it('respects label and field selectors, turning selector changes into ADDED/DELETED', async () => {
    const rv = h.server.store.resourceVersion
    const s = await watch(CMS, {resourceVersion: rv, labelSelector: 'app=web'})
    const f = await watch(CMS, {resourceVersion: rv, fieldSelector: 'metadata.name=sel2'})
    await h.core.createNamespacedConfigMap({namespace: 'w', body: cm('sel1', {app: 'db'})})
    await h.core.createNamespacedConfigMap({namespace: 'w', body: cm('sel2', {app: 'web'})})
    await h.core.patchNamespacedConfigMap({name: 'sel1', namespace: 'w', body: [{op: 'replace', path: '/metadata/labels/app', value: 'web'}]})
    await h.core.patchNamespacedConfigMap({name: 'sel2', namespace: 'w', body: [{op: 'replace', path: '/metadata/labels/app', value: 'db'}]})
    await waitFor(() => s.events.length >= 3 && f.events.length >= 2, 5000, 'selector events')
    expect(summary(s)).toEqual(['ADDED sel2', 'ADDED sel1', 'DELETED sel2'])
    expect(summary(f)).toEqual(['ADDED sel2', 'MODIFIED sel2'])
    s.abort()
    f.abort()
  })

  it('sends BOOKMARK events with the current resourceVersion when allowed, and none otherwise', async () => {
    const s = await watch(CMS, {resourceVersion: h.server.store.resourceVersion, allowWatchBookmarks: true})
    const plain = await rawWatch(h.server, `${CMS}?watch=true&resourceVersion=${h.server.store.resourceVersion}`)
    await waitFor(() => s.events.filter((e) => e.type === 'BOOKMARK').length >= 2, 5000, 'two bookmarks')
    const b = s.events.find((e) => e.type === 'BOOKMARK')!.obj
    expect(b).toMatchObject({kind: 'ConfigMap', apiVersion: 'v1'})
    expect(b.metadata.resourceVersion).toBe(h.server.store.resourceVersion)
    expect(plain.events).toEqual([])
    s.abort()
    plain.close()
  })

  it('closes the stream after timeoutSeconds', async () => {
    const t0 = Date.now()
    const s = await watch(CMS, {resourceVersion: h.server.store.resourceVersion, timeoutSeconds: 1})
    expect(await s.done).toBe('closed')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
  })

  it('answers a resourceVersion older than the kept history with an ERROR event: 410 Expired', async () => {
    const old = h.server.store.resourceVersion
    for (let i = 0; i < 7; i++) await h.core.createNamespacedConfigMap({namespace: 'w', body: cm(`churn${i}`)})
    const s = await watch(CMS, {resourceVersion: old})
    expect(await s.done).toBe('closed')
    expect(s.events).toHaveLength(1)
    expect(s.events[0].type).toBe('ERROR')
    expect(s.events[0].obj).toMatchObject({kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410})
    expect(s.events[0].obj.message).toMatch(/^too old resource version: \d+ \(\d+\)$/)
  })

  it('makes an informer re-list after 410 (the watch resumes from an expired version)', async () => {
    const inf = makeInformer<V1ConfigMap>(h.kc, CMS, () => h.core.listNamespacedConfigMap({namespace: 'w'}))
    const errors: unknown[] = []
    inf.on('error', (e) => errors.push(e))
    await inf.start()
    await waitFor(() => h.server.openWatches > 0, 5000, 'informer watch open')
    const lists = () => h.server.requests.filter((r) => r.path === CMS && !r.query.includes('watch')).length
    const listsBefore = lists()
    // end the stream; before the informer reconnects, write more than the history holds
    h.server.faults.dropWatches()
    for (let i = 0; i < 7; i++) h.server.store.put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: `bulk${i}`, namespace: 'w'}})
    await waitFor(() => inf.get('bulk6', 'w'), 5000, 'informer cache to have bulk6 after re-list')
    expect(lists()).toBeGreaterThan(listsBefore)
    expect(errors).toEqual([])
    await inf.stop()
  })

  it('ends every open stream on dropWatches, cleanly or abruptly', async () => {
    const a = await watch(CMS, {resourceVersion: h.server.store.resourceVersion})
    await waitFor(() => h.server.openWatches >= 1, 5000, 'watch open')
    h.server.faults.dropWatches()
    expect(await a.done).toBe('closed')
    const b = await rawWatch(h.server, `${CMS}?watch=1`)
    await waitFor(() => h.server.openWatches >= 1, 5000, 'watch open')
    h.server.faults.dropWatches({abrupt: true})
    await b.ended
    expect(h.server.openWatches).toBe(0)
  })

  it('watches one object, all namespaces, and the legacy /watch/ paths', async () => {
    const rv = h.server.store.resourceVersion
    const all = await rawWatch(h.server, `/api/v1/configmaps?watch=true&resourceVersion=${rv}`)
    const one = await rawWatch(h.server, `/api/v1/watch/namespaces/w/configmaps/target?resourceVersion=${rv}`)
    await h.core.createNamespacedConfigMap({namespace: 'default', body: cm('elsewhere')})
    await h.core.createNamespacedConfigMap({namespace: 'w', body: cm('target')})
    await waitFor(() => all.events.length >= 2 && one.events.length >= 1, 5000, 'events')
    expect(all.events.map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`)).toEqual(['default/elsewhere', 'w/target'])
    expect(one.events.map((e) => e.object.metadata.name)).toEqual(['target'])
    all.close()
    one.close()
  })
})
