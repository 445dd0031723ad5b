import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {harness, raw, waitFor, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness({workloadReadyDelayMs: 50})
  await h.core.createNamespace({body: {metadata: {name: 'metallb-system'}}})
})
afterAll(async () => h.close())

const template = (app: string, nodeSelector?: Record<string, string>) => ({
  metadata: {labels: {app}},
  spec: {containers: [{name: app, image: `lbctl/${app}:dev`}], ...(nodeSelector ? {nodeSelector} : {})},
})

describe('workload status progression', () => {
  it('moves a Deployment to ready after the delay, and again after a spec change', async () => {
    const dep = await h.apps.createNamespacedDeployment({
      namespace: 'metallb-system',
      body: {metadata: {name: 'controller'}, spec: {replicas: 2, selector: {matchLabels: {app: 'controller'}}, template: template('controller')}},
    })
    expect(dep.status?.readyReplicas).toBeUndefined()
    const ready = await waitFor(async () => {
      const d = await h.apps.readNamespacedDeployment({name: 'controller', namespace: 'metallb-system'})
      return d.status?.readyReplicas === 2 && d.status.observedGeneration === 1 ? d : undefined
    }, 5000, 'deployment ready')
    expect(ready?.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True')
    await h.apps.patchNamespacedDeployment({name: 'controller', namespace: 'metallb-system', body: [{op: 'replace', path: '/spec/replicas', value: 3}]})
    await waitFor(async () => {
      const d = await h.apps.readNamespacedDeployment({name: 'controller', namespace: 'metallb-system'})
      return d.status?.readyReplicas === 3 && d.status.observedGeneration === 2
    }, 5000, 'deployment scaled')
  })

  it('counts a DaemonSet ready on the nodes its selector matches, following node changes', async () => {
    await h.apps.createNamespacedDaemonSet({
      namespace: 'metallb-system',
      body: {metadata: {name: 'speaker'}, spec: {selector: {matchLabels: {app: 'speaker'}}, template: template('speaker', {'kubernetes.io/os': 'linux'})}},
    })
    const numberReady = async () => (await h.apps.readNamespacedDaemonSet({name: 'speaker', namespace: 'metallb-system'})).status?.numberReady
    await waitFor(async () => (await numberReady()) === 0, 5000, 'zero nodes')
    for (const n of ['n1', 'n2']) await h.core.createNode({body: {metadata: {name: n, labels: {'kubernetes.io/os': 'linux'}}}})
    await h.core.createNode({body: {metadata: {name: 'win', labels: {'kubernetes.io/os': 'windows'}}}})
    await waitFor(async () => (await numberReady()) === 2, 5000, 'two nodes ready')
    const ds = await h.apps.readNamespacedDaemonSet({name: 'speaker', namespace: 'metallb-system'})
    expect(ds.status).toMatchObject({desiredNumberScheduled: 2, numberAvailable: 2, updatedNumberScheduled: 2, observedGeneration: 1})
  })

  it('serves the scale subresource', async () => {
    const s = await raw(h.server, 'GET', '/apis/apps/v1/namespaces/metallb-system/deployments/controller/scale')
    expect(s.body).toMatchObject({kind: 'Scale', apiVersion: 'autoscaling/v1', spec: {replicas: 3}, status: {selector: 'app=controller'}})
    const p = await raw(h.server, 'PATCH', '/apis/apps/v1/namespaces/metallb-system/deployments/controller/scale', {spec: {replicas: 1}}, {'Content-Type': 'application/merge-patch+json'})
    expect(p.body.spec.replicas).toBe(1)
    expect((await h.apps.readNamespacedDeployment({name: 'controller', namespace: 'metallb-system'})).spec?.replicas).toBe(1)
  })
})

describe('pods/proxy', () => {
  let pod: http.Server
  let port: number
  beforeAll(async () => {
    pod = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        res.writeHead(200, {'Content-Type': 'application/json', 'X-Pod': 'speaker-a'})
        res.end(JSON.stringify({method: req.method, url: req.url, body, auth: req.headers.authorization ?? null}))
      })
    })
    await new Promise<void>((r) => pod.listen(0, '127.0.0.1', () => r()))
    port = (pod.address() as AddressInfo).port
    h.server.registerPod('metallb-system', 'speaker-a', {ip: '127.0.0.1', nodeName: 'n1', labels: {app: 'speaker'}, ports: [{name: 'monitoring', containerPort: port}]})
  })
  afterAll(async () => new Promise<void>((r) => pod.close(() => r())))

  it('registers a Running pod with its IP', async () => {
    const p = await h.core.readNamespacedPod({name: 'speaker-a', namespace: 'metallb-system'})
    expect(p.status).toMatchObject({phase: 'Running', podIP: '127.0.0.1'})
    expect(p.spec?.nodeName).toBe('n1')
  })

  it('forwards GET and POST to the pod by port number or name, with the query, without the API credentials', async () => {
    const g = await raw(h.server, 'GET', `/api/v1/namespaces/metallb-system/pods/speaker-a:${port}/proxy/debug/probe?ip=203.0.113.1`)
    expect(g.status).toBe(200)
    expect(g.headers.get('x-pod')).toBe('speaker-a')
    expect(g.body).toEqual({method: 'GET', url: '/debug/probe?ip=203.0.113.1', body: '', auth: null})
    const p = await raw(h.server, 'POST', '/api/v1/namespaces/metallb-system/pods/speaker-a:monitoring/proxy/probe', {x: 1})
    expect(p.body).toMatchObject({method: 'POST', url: '/probe', body: '{"x":1}'})
  })

  it('answers 404 for an unknown pod and 503 when the pod does not answer', async () => {
    expect((await raw(h.server, 'GET', '/api/v1/namespaces/metallb-system/pods/nope:80/proxy/')).status).toBe(404)
    h.server.registerPod('metallb-system', 'dead', {ip: '127.0.0.1', ports: [{containerPort: 1}]})
    const res = await raw(h.server, 'GET', '/api/v1/namespaces/metallb-system/pods/dead:1/proxy/')
    expect(res.status).toBe(503)
    expect(res.body.reason).toBe('ServiceUnavailable')
  })
})
