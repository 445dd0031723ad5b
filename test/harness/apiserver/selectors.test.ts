import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {matchLabels, parseFieldSelector, parseLabelSelector} from './selectors.js'
import {harness, raw, type Harness} from './test-helpers.js'

describe('label selector parsing and matching', () => {
  const labels = {app: 'web', tier: 'front', 'example.com/zone': 'a', n: '5'}
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (web, db)', true],
    ['app in (db)', false],
    ['app notin (db,cache)', true],
    ['missing notin (db)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['example.com/zone=a,app=web', true],
    ['app=web,tier=back', false],
    ['app in (web),!missing, tier', true],
    ['n>4', true],
    ['n<4', false],
  ]
  it.each(cases)('%s → %s', (sel, want) => {
    expect(matchLabels(parseLabelSelector(sel), labels)).toBe(want)
  })

  it.each(['app=', 'app in ()', 'bad key=x', 'a=b=c', '=x', 'app in (a b)'])('rejects or parses strictly: %s', (sel) => {
    if (sel === 'app=') expect(matchLabels(parseLabelSelector(sel), {app: ''})).toBe(true)
    else expect(() => parseLabelSelector(sel)).toThrow()
  })
})

describe('field selector parsing', () => {
  it('accepts =, == and != on supported fields, and refuses others', () => {
    expect(parseFieldSelector('metadata.name=a,metadata.namespace!=b', ['metadata.name', 'metadata.namespace'])).toEqual([
      {field: 'metadata.name', op: '=', value: 'a'},
      {field: 'metadata.namespace', op: '!=', value: 'b'},
    ])
    expect(parseFieldSelector('metadata.name==a', ['metadata.name'])[0].op).toBe('=')
    expect(() => parseFieldSelector('spec.foo=a', ['metadata.name'])).toThrow(/field label not supported/)
    expect(parseFieldSelector('metadata.name=a\\,b', ['metadata.name'])[0].value).toBe('a,b')
  })
})

describe('list with selectors', () => {
  let h: Harness
  beforeAll(async () => {
    h = await harness()
    await h.core.createNamespace({body: {metadata: {name: 'other'}}})
    const mk = (ns: string, name: string, labels: Record<string, string>) => h.core.createNamespacedConfigMap({namespace: ns, body: {metadata: {name, labels}}})
    await mk('default', 'a', {app: 'web', env: 'prod'})
    await mk('default', 'b', {app: 'web', env: 'dev'})
    await mk('default', 'c', {app: 'db'})
    await mk('other', 'a', {app: 'web'})
  })
  afterAll(async () => h.close())

  const names = (items: any[]) => items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)

  it('filters by labelSelector, in one namespace and across all', async () => {
    expect(names((await h.core.listNamespacedConfigMap({namespace: 'default', labelSelector: 'app=web'})).items)).toEqual(['default/a', 'default/b'])
    expect(names((await h.core.listConfigMapForAllNamespaces({labelSelector: 'app=web,env notin (dev)'})).items)).toEqual(['default/a', 'other/a'])
    expect(names((await h.core.listNamespacedConfigMap({namespace: 'default', labelSelector: '!env'})).items)).toEqual(['default/c'])
  })

  it('filters by fieldSelector metadata.name and metadata.namespace', async () => {
    expect(names((await h.core.listConfigMapForAllNamespaces({fieldSelector: 'metadata.name=a'})).items)).toEqual(['default/a', 'other/a'])
    expect(names((await h.core.listConfigMapForAllNamespaces({fieldSelector: 'metadata.namespace!=default'})).items)).toEqual(['other/a'])
  })

  it('filters events by involvedObject fields', async () => {
    const ev = (name: string, obj: string) => ({metadata: {name}, involvedObject: {kind: 'Service', name: obj, namespace: 'default'}, reason: 'IPAllocated', type: 'Normal', message: 'm'})
    await h.core.createNamespacedEvent({namespace: 'default', body: ev('e1', 'web')})
    await h.core.createNamespacedEvent({namespace: 'default', body: ev('e2', 'db')})
    const got = await h.core.listNamespacedEvent({namespace: 'default', fieldSelector: 'involvedObject.name=web,involvedObject.kind=Service'})
    expect(got.items.map((e) => e.metadata.name)).toEqual(['e1'])
  })

  it('serves core/v1 and events.k8s.io/v1 Events from one storage, converting field names', async () => {
    const ev = await raw(h.server, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {name: 'e3'},
      eventTime: '2025-01-01T00:00:00.000000Z',
      reportingController: 'lbctl.io/controller',
      reportingInstance: 'controller-0',
      action: 'Allocate',
      reason: 'IPAllocated',
      regarding: {kind: 'Service', name: 'web', namespace: 'default'},
      note: 'Assigned IP 203.0.113.1',
      type: 'Normal',
    })
    expect(ev.status).toBe(201)
    const core = await h.core.readNamespacedEvent({name: 'e3', namespace: 'default'})
    expect(core).toMatchObject({message: 'Assigned IP 203.0.113.1', involvedObject: {name: 'web'}, reportingComponent: 'lbctl.io/controller', action: 'Allocate'})
    const viaNew = await raw(h.server, 'GET', '/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dweb')
    expect(viaNew.body.items.map((e: any) => `${e.metadata.name}:${e.note}`)).toEqual(['e1:m', 'e3:Assigned IP 203.0.113.1'])
  })

  it('answers a bad selector with 400 BadRequest', async () => {
    const res = await raw(h.server, 'GET', '/api/v1/configmaps?labelSelector=' + encodeURIComponent('app in (a'))
    expect(res.status).toBe(400)
    expect(res.body.reason).toBe('BadRequest')
    expect((await raw(h.server, 'GET', '/api/v1/configmaps?fieldSelector=data.x%3D1')).status).toBe(400)
  })

  it('carries the list resourceVersion, item kinds only for custom resources, and pages with limit/continue', async () => {
    const list = await raw(h.server, 'GET', '/api/v1/namespaces/default/configmaps?limit=2')
    expect(list.body).toMatchObject({kind: 'ConfigMapList', apiVersion: 'v1', metadata: {resourceVersion: h.server.store.resourceVersion, remainingItemCount: 1}})
    expect(list.body.items[0].kind).toBeUndefined()
    const next = await raw(h.server, 'GET', `/api/v1/namespaces/default/configmaps?limit=2&continue=${encodeURIComponent(list.body.metadata.continue)}`)
    expect([...list.body.items, ...next.body.items].map((i: any) => i.metadata.name)).toEqual(['a', 'b', 'c'])
    expect(next.body.metadata.continue).toBeUndefined()
  })
})
