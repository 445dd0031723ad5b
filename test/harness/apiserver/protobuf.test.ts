import {existsSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {embeddedMessages} from './protobuf/descriptors.js'
import {decodeRequest, messageFields} from './protobuf/decode.js'
import {KINDS, MESSAGES, SPECIAL} from './protobuf/messages.js'
import {CRD_POOL, harness, type Harness} from './test-helpers.js'

const KUBECTL = '/usr/bin/kubectl'

/** `meta.v1.Time` → `.k8s.io.apimachinery.pkg.apis.meta.v1.Time`, `core.v1.X` → `.k8s.io.api.core.v1.X`. */
const fullName = (short: string): string =>
  short.startsWith('meta.') ? `.k8s.io.apimachinery.pkg.apis.${short}` : short.startsWith('intstr.') ? `.k8s.io.apimachinery.pkg.util.${short}` : `.k8s.io.api.${short}`

// POST /api/v1/namespaces from `kubectl create namespace x -v=9` (v1.32.4), byte for byte
const KUBECTL_NAMESPACE_X = Buffer.from(
  '6b3873000a0f0a0276311209' + Buffer.from('Namespace').toString('hex') + '12190a110a0178120' + '01a0022002a00320038004200120' + '01a020a001a002200',
  'hex',
)

describe('protobuf requests', () => {
  it('describes every field as kubectl v1.32 itself does (numbers, names, repetition, types)', () => {
    expect(existsSync(KUBECTL)).toBe(true)
    const real = embeddedMessages(KUBECTL)
    expect(real.size).toBeGreaterThan(500)
    const TYPE: Record<number, string> = {3: 'int64', 5: 'int32', 8: 'bool', 9: 'string', 12: 'bytes'}
    for (const msg of Object.keys(MESSAGES)) {
      const described = real.get(fullName(msg))
      expect(described, msg).toBeDefined()
      const ours = messageFields(msg)
      for (const f of described!.fields) {
        const o = ours.get(f.number)
        expect(o, `${msg} field ${f.number} (${f.name})`).toBeDefined()
        // proto names are the JSON names, except BoundObjectReference's `uID` (json:"uid")
        expect(o!.name.toLowerCase(), `${msg}.${f.name}`).toBe(f.name.toLowerCase())
        const entry = f.typeName ? real.get(f.typeName) : undefined
        if (entry?.mapEntry) {
          expect(o!.type, `${msg}.${f.name}`).toBe('map')
          const value = entry.fields.find((x) => x.number === 2)!
          expect(o!.mapValue).toBe(value.typeName ? value.typeName.replace(/^.*\.(\w+\.v\d\w*\.\w+)$/, '$1') : TYPE[value.type])
        } else {
          expect(o!.repeated, `${msg}.${f.name} repeated`).toBe(f.repeated)
          if (f.typeName) expect(fullName(o!.type), `${msg}.${f.name}`).toBe(f.typeName)
          else expect(o!.type, `${msg}.${f.name}`).toBe(TYPE[f.type])
        }
      }
      expect(ours.size, `${msg}: fields kubectl does not know`).toBe(described!.fields.length)
    }
    for (const s of SPECIAL) expect(real.get(fullName(s)), s).toBeDefined()
    for (const msg of Object.values(KINDS)) expect(MESSAGES[msg], msg).toBeDefined()
  })

  it('decodes the envelope and the object kubectl sends, dropping the zero values gogo-protobuf fills in', () => {
    expect(decodeRequest(KUBECTL_NAMESPACE_X)).toEqual({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'x'}, spec: {}, status: {}})
  })

  it('refuses a body without the magic, a truncated one, and kinds it cannot decode, naming the problem', () => {
    expect(() => decodeRequest(Buffer.from('{"kind":"Namespace"}'))).toThrow(/k8s\\0 protobuf magic/)
    expect(() => decodeRequest(KUBECTL_NAMESPACE_X.subarray(0, 30))).toThrow(/malformed protobuf/)
    const deployment = Buffer.concat([Buffer.from('6b3873000a15', 'hex'), Buffer.from([0x0a, 7]), Buffer.from('apps/v1'), Buffer.from([0x12, 10]), Buffer.from('Deployment')])
    expect(() => decodeRequest(deployment)).toThrow(/not "apps\/v1 Deployment"; send it as JSON/)
  })
})

describe('protobuf over HTTP', () => {
  let h: Harness
  beforeAll(async () => {
    h = await harness({crds: [CRD_POOL]})
  })
  afterAll(async () => h.close())

  it('creates a built-in kind from a protobuf body', async () => {
    const res = await fetch(`${h.server.url}/api/v1/namespaces`, {
      method: 'POST',
      headers: {Authorization: 'Bearer lbctl-harness-token', 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/json'},
      body: KUBECTL_NAMESPACE_X,
    })
    expect(res.status).toBe(201)
    expect(((await res.json()) as any).metadata.name).toBe('x')
    expect(h.server.store.get('v1', 'Namespace', undefined, 'x').status.phase).toBe('Active')
  })

  it('answers 400 for a malformed protobuf body and 415 for protobuf custom resources, as the apiserver does', async () => {
    const post = (path: string, body: Buffer) =>
      fetch(h.server.url + path, {method: 'POST', headers: {Authorization: 'Bearer lbctl-harness-token', 'Content-Type': 'application/vnd.kubernetes.protobuf'}, body})
    const bad = await post('/api/v1/namespaces/default/configmaps', Buffer.from('6b387300ff', 'hex'))
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as any).message).toMatch(/unable to decode the protobuf body/)
    const cr = await post('/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools', KUBECTL_NAMESPACE_X)
    expect(cr.status).toBe(415)
    expect(((await cr.json()) as any).message).toBe('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml')
  })
})
