import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {harness, raw, rawWatch, waitFor, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness({bookmarkIntervalMs: 50})
})
afterAll(async () => h.close())

// kube-apiserver decodes query parameters with k8s.io/apimachinery/pkg/runtime's Convert_Slice_string_To_bool
// (false only for "0" and any case of "false") and strconv.ParseInt for integers (400 BadRequest otherwise)
describe('query parameters as kube-apiserver parses them', () => {
  it.each(['true', 'True', 'TRUE', '1', 't', 'yes', ''])('watch=%s starts a watch', async (v) => {
    const name = `w-${Buffer.from(v).toString('hex') || 'empty'}`
    const w = await rawWatch(h.server, `/api/v1/namespaces/default/configmaps?watch=${v}`)
    try {
      expect(w.status).toBe(200)
      await h.core.createNamespacedConfigMap({namespace: 'default', body: {metadata: {name}}})
      const ev = await waitFor(() => w.events.find((e) => e.object?.metadata?.name === name), 5000, 'the ADDED event')
      expect(ev.type).toBe('ADDED')
    } finally {
      w.close()
    }
  })

  it.each(['false', 'False', 'FALSE', '0'])('watch=%s lists', async (v) => {
    const r = await raw(h.server, 'GET', `/api/v1/namespaces/default/configmaps?watch=${v}`)
    expect(r.status).toBe(200)
    expect(r.body.kind).toBe('ConfigMapList')
  })

  it('answers 400 for integers Go cannot parse', async () => {
    for (const q of ['limit=ten', 'limit=1.5', 'limit=99999999999999999999', 'watch=1&timeoutSeconds=soon']) {
      const r = await raw(h.server, 'GET', `/api/v1/namespaces?${q}`)
      expect(r.status, q).toBe(400)
      expect(r.body.reason).toBe('BadRequest')
      expect(r.body.message).toMatch(/^strconv\.ParseInt: parsing ".*": (invalid syntax|value out of range)$/)
    }
    expect((await raw(h.server, 'GET', '/api/v1/namespaces?limit=%2B2')).body.items).toHaveLength(2)
  })

  it('takes allowWatchBookmarks=True as true', async () => {
    const w = await rawWatch(h.server, '/api/v1/namespaces?watch=1&allowWatchBookmarks=True&resourceVersion=' + h.server.store.resourceVersion)
    try {
      await waitFor(() => w.events.some((e) => e.type === 'BOOKMARK'), 5000, 'a BOOKMARK')
    } finally {
      w.close()
    }
  })
})
