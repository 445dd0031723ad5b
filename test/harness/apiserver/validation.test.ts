import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {harness, raw, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness()
  await h.core.createNamespacedService({
    namespace: 'default',
    body: {metadata: {name: 'lb'}, spec: {type: 'LoadBalancer', ports: [{port: 80}]}},
  })
  await h.core.createNamespacedService({namespace: 'default', body: {metadata: {name: 'cip'}, spec: {ports: [{port: 80}]}}})
})
afterAll(async () => h.close())

const MERGE = {'Content-Type': 'application/merge-patch+json'}
const ingress = (svc: string, entries: unknown[]) =>
  raw(h.server, 'PATCH', `/api/v1/namespaces/default/services/${svc}/status`, {status: {loadBalancer: {ingress: entries}}}, MERGE)
const post = (path: string, body: object) => raw(h.server, 'POST', path, body)
const causes = (r: {body: any}) => r.body.details.causes.map((c: any) => `${c.field}: ${c.message}`)

describe('Service status', () => {
  it('takes valid ingress entries', async () => {
    const r = await ingress('lb', [{ip: '203.0.113.7'}, {ip: '2001:db8:ffff::7', ipMode: 'Proxy'}, {hostname: 'lb.example.com'}])
    expect(r.status).toBe(200)
    expect(r.body.status.loadBalancer.ingress).toHaveLength(3)
  })

  it('refuses an entry whose ip, hostname or ipMode is not valid, with the field path (422)', async () => {
    const r = await ingress('lb', [{ip: 'not-an-ip'}, {hostname: '198.18.0.1'}, {hostname: 'Bad_Host'}, {ipMode: 'VIP'}, {ip: '203.0.113.8', ipMode: 'Maybe'}])
    expect(r.status).toBe(422)
    expect(r.body.reason).toBe('Invalid')
    expect(causes(r)).toEqual([
      'status.loadBalancer.ingress[0].ip: Invalid value: "not-an-ip": must be a valid IP address',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "198.18.0.1": must be a DNS name, not an IP address',
      expect.stringMatching(/^status\.loadBalancer\.ingress\[2\]\.hostname: Invalid value: "Bad_Host": a lowercase RFC 1123 subdomain/),
      'status.loadBalancer.ingress[3].ipMode: Forbidden: may not be specified when `ip` is not set',
      'status.loadBalancer.ingress[4].ipMode: Unsupported value: "Maybe": supported values: "Proxy", "VIP"',
    ])
    expect(h.server.store.get('v1', 'Service', 'default', 'lb').status.loadBalancer.ingress).toHaveLength(3)
  })

  it('refuses an entry of the wrong JSON type as Go decoding does (400)', async () => {
    const r = await ingress('lb', [{ip: 7}])
    expect(r.status).toBe(400)
    expect(r.body.message).toBe('Service in version "v1" cannot be handled as a Service: json: cannot unmarshal number into Go struct field LoadBalancerIngress.status.loadBalancer.ingress.ip of type string')
    expect((await ingress('lb', ['203.0.113.9'])).status).toBe(400)
  })

  it('decodes a null entry as Go does (an empty entry), so lists keep working', async () => {
    const r = await ingress('lb', [null])
    expect(r.status).toBe(200)
    expect(r.body.status.loadBalancer.ingress).toEqual([{}])
    const list = await h.core.listNamespacedService({namespace: 'default'})
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['cip', 'kubernetes', 'lb'].filter((n) => n !== 'kubernetes'))
  })

  it('refuses ingress on a Service that is not a LoadBalancer', async () => {
    const r = await ingress('cip', [{ip: '203.0.113.7'}])
    expect(r.status).toBe(422)
    expect(causes(r)).toEqual(["status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"])
  })
})

describe('ConfigMap and Secret data', () => {
  it('refuses a data value that is not a string (400) and a key that is not a config key (422)', async () => {
    const num = await post('/api/v1/namespaces/default/configmaps', {metadata: {name: 'c1'}, data: {n: 1}})
    expect(num.status).toBe(400)
    expect(num.body.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string')
    const key = await post('/api/v1/namespaces/default/configmaps', {metadata: {name: 'c1'}, data: {'a/b': 'x'}, binaryData: {k: 'eA=='}})
    expect(key.status).toBe(422)
    expect(causes(key)[0]).toMatch(/^data\[a\/b\]: Invalid value: "a\/b": a valid config key must consist of/)
    const dup = await post('/api/v1/namespaces/default/configmaps', {metadata: {name: 'c1'}, data: {k: 'x'}, binaryData: {k: 'eA=='}})
    expect(causes(dup)).toEqual(['data[k]: Invalid value: "k": duplicate of key present in binaryData'])
    expect((await post('/api/v1/namespaces/default/configmaps', {metadata: {name: 'c1'}, data: {k: 'x'}})).status).toBe(201)
  })

  it('refuses Secret data that is not base64 (400), and takes what is', async () => {
    const bad = await post('/api/v1/namespaces/default/secrets', {metadata: {name: 's1'}, data: {secretkey: 'not base64!'}})
    expect(bad.status).toBe(400)
    expect(bad.body.message).toBe('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3')
    const unpadded = await post('/api/v1/namespaces/default/secrets', {metadata: {name: 's1'}, data: {secretkey: 'eA'}})
    expect(unpadded.status).toBe(400)
    const ok = await post('/api/v1/namespaces/default/secrets', {metadata: {name: 's1'}, data: {secretkey: Buffer.from('k').toString('base64')}})
    expect(ok.status).toBe(201)
  })
})

describe('EndpointSlice, Node, Pod, Lease, Event', () => {
  it('refuses an EndpointSlice address of the wrong family and an endpoint without addresses', async () => {
    const r = await post('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      metadata: {name: 'es'}, addressType: 'IPv4', endpoints: [{addresses: ['2001:db8::1']}, {addresses: []}], ports: [{name: 'HTTP', port: 70000}],
    })
    expect(r.status).toBe(422)
    expect(causes(r)).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "2001:db8::1": must be a valid IPv4 address',
      'endpoints[1].addresses: Required value: must contain at least 1 address',
      'ports[0].port: Invalid value: 70000: must be between 0 and 65535, inclusive',
      expect.stringMatching(/^ports\[0\]\.name: Invalid value: "HTTP": a lowercase RFC 1123 label/),
    ])
  })

  it('refuses a Node with a bad pod CIDR or address type', async () => {
    const r = await post('/api/v1/nodes', {metadata: {name: 'n1'}, spec: {podCIDR: '10.0.0.0/33'}, status: {addresses: [{type: 'Public', address: '198.18.0.1'}]}})
    expect(r.status).toBe(422)
    expect(causes(r)).toEqual([
      'spec.podCIDRs[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'status.addresses[0].type: Unsupported value: "Public": supported values: "ExternalDNS", "ExternalIP", "Hostname", "InternalDNS", "InternalIP"',
    ])
  })

  it('refuses a Pod without containers or images', async () => {
    const r = await post('/api/v1/namespaces/default/pods', {metadata: {name: 'p'}, spec: {containers: [{name: 'a'}, {name: 'a', image: 'x'}]}})
    expect(causes(r)).toEqual(['spec.containers[0].image: Required value', 'spec.containers[1].name: Duplicate value: "a"'])
    const none = await post('/api/v1/namespaces/default/pods', {metadata: {name: 'p'}, spec: {containers: []}})
    expect(causes(none)).toEqual(['spec.containers: Required value'])
  })

  it('refuses a Lease with a non-positive duration, and a wrongly typed one (400)', async () => {
    const r = await post('/apis/coordination.k8s.io/v1/namespaces/default/leases', {metadata: {name: 'l'}, spec: {leaseDurationSeconds: 0}})
    expect(causes(r)).toEqual(['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'])
    const typed = await post('/apis/coordination.k8s.io/v1/namespaces/default/leases', {metadata: {name: 'l'}, spec: {holderIdentity: 5}})
    expect(typed.status).toBe(400)
  })

  it('refuses an Event about an object in another namespace', async () => {
    const r = await post('/api/v1/namespaces/default/events', {
      metadata: {name: 'e'}, involvedObject: {kind: 'Service', namespace: 'other', name: 'x'}, reason: 'nodeAssigned', message: 'm', type: 'Normal',
    })
    expect(causes(r)).toEqual(['involvedObject.namespace: Invalid value: "other": does not match event.namespace'])
  })
})
