import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {harness, raw, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness()
  h.server.registerPod('default', 'speaker-a', {ip: '198.18.0.10'})
  await h.core.createNamespacedPod({
    namespace: 'default',
    body: {metadata: {name: 'two'}, spec: {initContainers: [{name: 'init', image: 'x'}], containers: [{name: 'a', image: 'x'}, {name: 'b', image: 'x'}]}},
  })
})
afterAll(async () => h.close())

const log = (pod: string, q = '') => raw(h.server, 'GET', `/api/v1/namespaces/default/pods/${pod}/log${q}`)

describe('pods/log', () => {
  it('serves the lines appended for a container, as text, through the real client too', async () => {
    h.server.appendPodLog('default', 'speaker-a', 'main', ['one', 'two'])
    h.server.appendPodLog('default', 'speaker-a', 'main', 'three\nfour\n')
    const r = await log('speaker-a')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/plain')
    expect(r.text).toBe('one\ntwo\nthree\nfour\n')
    expect(await h.core.readNamespacedPodLog({name: 'speaker-a', namespace: 'default', tailLines: 2})).toBe('three\nfour\n')
  })

  it('takes tailLines, limitBytes and timestamps, and refuses bad values as the apiserver does', async () => {
    expect((await log('speaker-a', '?tailLines=1')).text).toBe('four\n')
    expect((await log('speaker-a', '?tailLines=0')).text).toBe('')
    expect((await log('speaker-a', '?limitBytes=5')).text).toBe('one\nt')
    expect((await log('speaker-a', '?tailLines=1&timestamps=true')).text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z four\n$/)
    const neg = await log('speaker-a', '?tailLines=-1')
    expect(neg.status).toBe(422)
    expect(neg.body.message).toBe('PodLogOptions "speaker-a" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0')
    expect((await log('speaker-a', '?tailLines=many')).status).toBe(400)
  })

  it('needs a container name when the pod has several, and refuses one it does not have', async () => {
    const r = await log('two')
    expect(r.status).toBe(400)
    expect(r.body.message).toBe('a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [init]')
    expect((await log('two', '?container=c')).body.message).toBe('container c is not valid for pod two')
    expect((await log('two', '?container=a')).body.message).toBe('container "a" in pod "two" is waiting to start: ContainerCreating')
    expect((await log('nope')).status).toBe(404)
  })

  it('serves the previous instance after a restart, and says when there is none', async () => {
    const none = await log('speaker-a', '?previous=true')
    expect(none.status).toBe(400)
    expect(none.body.message).toBe('previous terminated container "main" in pod "speaker-a" not found')
    h.server.restartContainer('default', 'speaker-a', 'main')
    h.server.appendPodLog('default', 'speaker-a', 'main', 'after restart')
    expect((await log('speaker-a', '?previous=1')).text).toBe('one\ntwo\nthree\nfour\n')
    expect((await log('speaker-a')).text).toBe('after restart\n')
  })

  it('follows: streams lines appended later', async () => {
    const ac = new AbortController()
    const res = await fetch(`${h.server.url}/api/v1/namespaces/default/pods/speaker-a/log?follow=true`, {headers: {Authorization: 'Bearer lbctl-harness-token'}, signal: ac.signal})
    const reader = res.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toBe('after restart\n')
    h.server.appendPodLog('default', 'speaker-a', 'main', 'later')
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('later\n')
    ac.abort()
  })
})

describe('admission webhook configurations (stored and served, never called)', () => {
  const hook = (kind: string, name: string) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: {name},
    webhooks: [{
      name: 'ipaddresspoolvalidationwebhook.metallb.io', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail',
      clientConfig: {service: {name: 'metallb-webhook-service', namespace: 'metallb-system', path: '/validate-metallb-io-v1beta1-ipaddresspool'}},
      rules: [{apiGroups: ['metallb.io'], apiVersions: ['v1beta1'], operations: ['CREATE', 'UPDATE'], resources: ['ipaddresspools']}],
    }],
  })

  it('creates, lists and deletes both kinds, cluster-scoped, and discovery lists them', async () => {
    for (const [kind, plural] of [['ValidatingWebhookConfiguration', 'validatingwebhookconfigurations'], ['MutatingWebhookConfiguration', 'mutatingwebhookconfigurations']]) {
      const created: any = await h.objects.create(hook(kind, 'metallb-webhook-configuration'))
      expect(created.metadata?.uid).toBeTruthy()
      const list = await raw(h.server, 'GET', `/apis/admissionregistration.k8s.io/v1/${plural}`)
      expect(list.body.kind).toBe(`${kind}List`)
      expect(list.body.items[0].webhooks[0].clientConfig.service.name).toBe('metallb-webhook-service')
      expect((await raw(h.server, 'GET', `/apis/admissionregistration.k8s.io/v1/namespaces/default/${plural}`)).status).toBe(404)
      expect((await raw(h.server, 'DELETE', `/apis/admissionregistration.k8s.io/v1/${plural}/metallb-webhook-configuration`)).status).toBe(200)
    }
    const disco = await raw(h.server, 'GET', '/apis/admissionregistration.k8s.io/v1')
    expect(disco.body.resources.map((r: any) => [r.name, r.namespaced])).toEqual([['validatingwebhookconfigurations', false], ['mutatingwebhookconfigurations', false]])
  })

  it('does not call a webhook: a pool is admitted although the configured service does not exist', async () => {
    await h.objects.create(hook('ValidatingWebhookConfiguration', 'never-called'))
    const r = await raw(h.server, 'POST', '/api/v1/namespaces/default/configmaps', {metadata: {name: 'admitted'}})
    expect(r.status).toBe(201)
  })
})
