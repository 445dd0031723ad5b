/**
 * The Go types of the built-in fields clients write, for decoding as the apiserver does before validating: a JSON
 * value of the wrong type is 400 BadRequest (`… cannot be handled as a …: json: cannot unmarshal …`), bad base64 in a
 * []byte is 400, and `null` becomes the Go zero value (an array entry `null` of a struct type becomes `{}`). Only the
 * fields lbctl and its tests touch are described; others pass as they are.
 */
import {badRequest} from './errors.js'
import {isObject} from './patch.js'
import type {ResourceType} from './registry.js'

type Scalar = 'string' | 'int' | 'bool' | 'bytes' | 'any'
/** A struct: its Go name under `$go`, then its JSON fields. */
interface Struct {
  $go: string
  [field: string]: Shape | string
}
type Shape = Scalar | Struct | {$array: Shape} | {$map: Shape}

const arr = (s: Shape): Shape => ({$array: s})
const map = (s: Shape): Shape => ({$map: s})
const strs = arr('string')

const CONDITION: Struct = {$go: 'Condition', type: 'string', status: 'string', reason: 'string', message: 'string', observedGeneration: 'int', lastTransitionTime: 'string'}
const OBJECT_REFERENCE: Struct = {$go: 'ObjectReference', kind: 'string', namespace: 'string', name: 'string', uid: 'string', apiVersion: 'string', resourceVersion: 'string', fieldPath: 'string'}
const PORT_STATUS: Struct = {$go: 'PortStatus', port: 'int', protocol: 'string', error: 'string'}
const INGRESS: Struct = {$go: 'LoadBalancerIngress', ip: 'string', hostname: 'string', ipMode: 'string', ports: arr(PORT_STATUS)}
const SERVICE_PORT: Struct = {$go: 'ServicePort', name: 'string', protocol: 'string', appProtocol: 'string', port: 'int', targetPort: 'any', nodePort: 'int'}
const SERVICE: Struct = {
  $go: 'Service',
  spec: {
    $go: 'ServiceSpec', type: 'string', clusterIP: 'string', clusterIPs: strs, externalIPs: strs, loadBalancerIP: 'string',
    loadBalancerSourceRanges: strs, loadBalancerClass: 'string', externalTrafficPolicy: 'string', internalTrafficPolicy: 'string',
    ipFamilies: strs, ipFamilyPolicy: 'string', allocateLoadBalancerNodePorts: 'bool', healthCheckNodePort: 'int',
    selector: map('string'), ports: arr(SERVICE_PORT), sessionAffinity: 'string', publishNotReadyAddresses: 'bool',
  },
  status: {$go: 'ServiceStatus', loadBalancer: {$go: 'LoadBalancerStatus', ingress: arr(INGRESS)}, conditions: arr(CONDITION)},
}
const ENDPOINT: Struct = {
  $go: 'Endpoint', addresses: strs, hostname: 'string', nodeName: 'string', zone: 'string', targetRef: OBJECT_REFERENCE,
  conditions: {$go: 'EndpointConditions', ready: 'bool', serving: 'bool', terminating: 'bool'},
}
const ENDPOINT_SLICE: Struct = {
  $go: 'EndpointSlice', addressType: 'string', endpoints: arr(ENDPOINT),
  ports: arr({$go: 'EndpointPort', name: 'string', protocol: 'string', port: 'int', appProtocol: 'string'}),
}
const NODE: Struct = {
  $go: 'Node',
  spec: {$go: 'NodeSpec', podCIDR: 'string', podCIDRs: strs, providerID: 'string', unschedulable: 'bool'},
  status: {
    $go: 'NodeStatus', addresses: arr({$go: 'NodeAddress', type: 'string', address: 'string'}),
    conditions: arr({$go: 'NodeCondition', type: 'string', status: 'string', reason: 'string', message: 'string', lastHeartbeatTime: 'string', lastTransitionTime: 'string'}),
  },
}
const POD: Struct = {
  $go: 'Pod',
  spec: {$go: 'PodSpec', nodeName: 'string', serviceAccountName: 'string', hostNetwork: 'bool', containers: arr({$go: 'Container', name: 'string', image: 'string', args: strs, command: strs})},
  status: {
    $go: 'PodStatus', phase: 'string', podIP: 'string', hostIP: 'string', podIPs: arr({$go: 'PodIP', ip: 'string'}),
    conditions: arr({$go: 'PodCondition', type: 'string', status: 'string', reason: 'string', message: 'string'}),
  },
}
const LEASE: Struct = {
  $go: 'Lease',
  spec: {$go: 'LeaseSpec', holderIdentity: 'string', leaseDurationSeconds: 'int', acquireTime: 'string', renewTime: 'string', leaseTransitions: 'int'},
}
const EVENT: Struct = {
  $go: 'Event', involvedObject: OBJECT_REFERENCE, reason: 'string', message: 'string', type: 'string', count: 'int',
  source: {$go: 'EventSource', component: 'string', host: 'string'}, reportingComponent: 'string', reportingInstance: 'string',
}
const EVENT_V1: Struct = {$go: 'Event', regarding: OBJECT_REFERENCE, reason: 'string', note: 'string', type: 'string', action: 'string', reportingController: 'string', reportingInstance: 'string'}

const SHAPES: Record<string, Struct> = {
  '/Service': SERVICE,
  '/ConfigMap': {$go: 'ConfigMap', data: map('string'), binaryData: map('bytes'), immutable: 'bool'},
  '/Secret': {$go: 'Secret', data: map('bytes'), stringData: map('string'), type: 'string', immutable: 'bool'},
  'discovery.k8s.io/EndpointSlice': ENDPOINT_SLICE,
  '/Node': NODE,
  '/Pod': POD,
  'coordination.k8s.io/Lease': LEASE,
  '/Event': EVENT,
  'events.k8s.io/Event': EVENT_V1,
}

const jsonType = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v)
const GO_TYPE: Record<Scalar, string> = {string: 'string', int: 'int32', bool: 'bool', bytes: '[]uint8', any: 'interface {}'}
const goType = (s: Shape): string =>
  typeof s === 'string' ? GO_TYPE[s] : '$array' in s ? `[]${goType(s.$array as Shape)}` : '$map' in s ? `map[string]${goType(s.$map as Shape)}` : `v1.${(s as Struct).$go}`

class Mismatch extends Error {}

/** Where Go's encoding/json stops on bad base64: the offset of the first illegal byte (or of the short tail). */
const base64Error = (s: string): string | undefined => {
  const t = s.replace(/[\r\n]/g, '')
  const bad = /[^A-Za-z0-9+/=]/.exec(t)
  if (bad) return `illegal base64 data at input byte ${bad.index}`
  const pad = t.indexOf('=')
  if (pad >= 0 && !/^={1,2}$/.test(t.slice(pad))) return `illegal base64 data at input byte ${pad}`
  if (t.length % 4 !== 0) return `illegal base64 data at input byte ${t.length - (t.length % 4)}`
  return undefined
}

const decode = (shape: Shape, v: any, struct: string, path: string): any => {
  const fail = () => {
    throw new Mismatch(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${struct}.${path} of type ${goType(shape)}`)
  }
  if (v === null) return undefined
  if (typeof shape === 'string') {
    if (shape === 'any') return v
    if (shape === 'bool' && typeof v !== 'boolean') fail()
    if (shape === 'int' && (typeof v !== 'number' || !Number.isInteger(v))) fail()
    if ((shape === 'string' || shape === 'bytes') && typeof v !== 'string') fail()
    if (shape === 'bytes') {
      const err = base64Error(v)
      if (err) throw new Mismatch(err)
    }
    return v
  }
  if ('$array' in shape) {
    if (!Array.isArray(v)) fail()
    const item = shape.$array as Shape
    // Go decodes a null element of a struct slice as the zero struct, of a string slice as ""
    return v.map((x: any) => (x === null ? (typeof item === 'string' ? (item === 'string' ? '' : item === 'int' ? 0 : item === 'bool' ? false : null) : {}) : decode(item, x, struct, path)))
  }
  if ('$map' in shape) {
    if (!isObject(v)) fail()
    const out: Record<string, any> = {}
    for (const [k, x] of Object.entries(v)) out[k] = x === null && shape.$map === 'string' ? '' : decode(shape.$map as Shape, x, struct, path)
    return out
  }
  if (!isObject(v)) fail()
  const out: Record<string, any> = {...v}
  for (const [k, s] of Object.entries(shape)) {
    if (k === '$go' || !(k in out)) continue
    const d = decode(s as Shape, out[k], (shape as Struct).$go, path ? `${path}.${k}` : k)
    if (d === undefined) delete out[k]
    else out[k] = d
  }
  return out
}

/** Decode a built-in object's described fields as Go would; 400 BadRequest where Go's decoder fails. */
export const decodeBuiltin = (rt: ResourceType, obj: any): any => {
  const shape = SHAPES[`${rt.group}/${rt.kind}`]
  if (!shape) return obj
  try {
    const {metadata, apiVersion, kind, ...rest} = obj
    const decoded = decode(shape, rest, shape.$go, '')
    return {apiVersion, kind, metadata, ...decoded}
  } catch (e) {
    if (e instanceof Mismatch) throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${e.message}`)
    throw e
  }
}
