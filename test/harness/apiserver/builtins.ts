/** What the real apiserver's strategies do for built-in kinds: defaults, allocations, and the checks lbctl can hit. */
import type {Cause} from './errors.js'
import {deepEqual, isObject} from './patch.js'
import type {ResourceType} from './registry.js'
import {validateKind} from './validation.js'

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const LABEL_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const QUALIFIED = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/

const nameRule = (rt: ResourceType): ((n: string) => string | undefined) => {
  if (rt.group === '' && rt.plural === 'namespaces')
    return (n) => (LABEL_1123.test(n) && n.length <= 63 ? undefined : `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`)
  if (rt.group === '' && rt.plural === 'services')
    return (n) => (LABEL_1035.test(n) && n.length <= 63 ? undefined : `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`)
  if (rt.group === 'rbac.authorization.k8s.io')
    return (n) => (n !== '.' && n !== '..' && !/[/%]/.test(n) ? undefined : `may not contain '/' or '%'`)
  return (n) => (SUBDOMAIN.test(n) && n.length <= 253 ? undefined : `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`)
}

/** ObjectMeta validation: name, labels, annotations. */
export const validateMeta = (rt: ResourceType, obj: any): Cause[] => {
  const causes: Cause[] = []
  const md = obj.metadata ?? {}
  if (!md.name) causes.push({field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired'})
  else {
    const why = nameRule(rt)(md.name)
    if (why) causes.push({field: 'metadata.name', message: `Invalid value: "${md.name}": ${why}`, reason: 'FieldValueInvalid'})
  }
  for (const [k, v] of Object.entries<any>(md.labels ?? {})) {
    if (!QUALIFIED.test(k)) causes.push({field: 'metadata.labels', message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`, reason: 'FieldValueInvalid'})
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63)
      causes.push({field: 'metadata.labels', message: `Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`, reason: 'FieldValueInvalid'})
  }
  for (const [k, v] of Object.entries<any>(md.annotations ?? {})) {
    if (!QUALIFIED.test(k)) causes.push({field: 'metadata.annotations', message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`, reason: 'FieldValueInvalid'})
    if (typeof v !== 'string') causes.push({field: `metadata.annotations.${k}`, message: 'Invalid value: must be a string', reason: 'FieldValueTypeInvalid'})
  }
  return causes
}

/** ClusterIP and NodePort allocation, as a dual-stack cluster with 10.96.0.0/12 and fd00:10:96::/112 does it. */
export class Allocator {
  private nextV4 = 10
  private nextV6 = 1
  private nextNodePort = 30000

  clusterIP(family: string): string {
    if (family === 'IPv6') return `fd00:10:96::${(this.nextV6++).toString(16)}`
    const n = this.nextV4++
    return `10.96.${Math.floor(n / 256)}.${n % 256}`
  }

  nodePort(): number {
    return this.nextNodePort++
  }
}

const podSpecDefaults = (spec: any): void => {
  if (!isObject(spec)) return
  spec.restartPolicy ??= 'Always'
  spec.dnsPolicy ??= 'ClusterFirst'
  spec.schedulerName ??= 'default-scheduler'
  spec.terminationGracePeriodSeconds ??= 30
  spec.securityContext ??= {}
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (!isObject(c)) continue
    const c2 = c as any
    const image = String(c2.image ?? '')
    c2.imagePullPolicy ??= /:[^/]+$/.test(image) && !image.endsWith(':latest') ? 'IfNotPresent' : 'Always'
    c2.terminationMessagePath ??= '/dev/termination-log'
    c2.terminationMessagePolicy ??= 'File'
    c2.resources ??= {}
    for (const p of c2.ports ?? []) if (isObject(p)) (p as any).protocol ??= 'TCP'
  }
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']

/** Service defaults and allocations; `old` carries allocated values across updates (patchAllocatedValues). */
const serviceDefaults = (svc: any, alloc: Allocator, old: any | undefined): void => {
  const spec = (svc.spec ??= {})
  spec.type ??= 'ClusterIP'
  spec.sessionAffinity ??= 'None'
  if (spec.type === 'ExternalName') return
  const oldSpec = old?.spec ?? {}
  if (old && spec.clusterIP === undefined && spec.clusterIPs === undefined) {
    if (oldSpec.clusterIP !== undefined) spec.clusterIP = oldSpec.clusterIP
    if (oldSpec.clusterIPs !== undefined) spec.clusterIPs = oldSpec.clusterIPs
  }
  if (old && spec.ipFamilies === undefined && oldSpec.ipFamilies) spec.ipFamilies = oldSpec.ipFamilies
  if (old && spec.ipFamilyPolicy === undefined && oldSpec.ipFamilyPolicy) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy
  spec.ipFamilyPolicy ??= 'SingleStack'
  if (!spec.ipFamilies) {
    const fromIPs = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip: string) => ip !== 'None')
    spec.ipFamilies = fromIPs.length ? fromIPs.map((ip: string) => (ip.includes(':') ? 'IPv6' : 'IPv4')) : ['IPv4']
    if (spec.ipFamilyPolicy !== 'SingleStack' && spec.ipFamilies.length === 1)
      spec.ipFamilies.push(spec.ipFamilies[0] === 'IPv4' ? 'IPv6' : 'IPv4')
  }
  if (spec.clusterIP === undefined && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0]
  if (spec.clusterIP === undefined || spec.clusterIP === '') {
    spec.clusterIPs = spec.ipFamilies.map((f: string) => alloc.clusterIP(f))
    spec.clusterIP = spec.clusterIPs[0]
  } else if (spec.clusterIP === 'None') spec.clusterIPs = ['None']
  else spec.clusterIPs ??= [spec.clusterIP]
  spec.internalTrafficPolicy ??= 'Cluster'
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer'
  if (external) spec.externalTrafficPolicy ??= 'Cluster'
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true
  const wantNodePorts = spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts)
  for (const p of spec.ports ?? []) {
    if (!isObject(p)) continue
    const port = p as any
    port.protocol ??= 'TCP'
    port.targetPort ??= port.port
    if (wantNodePorts && port.nodePort === undefined) {
      const prev = (oldSpec.ports ?? []).find((o: any) => o.port === port.port && (o.protocol ?? 'TCP') === port.protocol)
      port.nodePort = prev?.nodePort ?? alloc.nodePort()
    }
  }
  if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local')
    spec.healthCheckNodePort ??= oldSpec.healthCheckNodePort ?? alloc.nodePort()
}

/** Defaults a built-in object the way its strategy and defaulters would, before validation. */
export const builtinDefaults = (rt: ResourceType, obj: any, alloc: Allocator, old?: any): void => {
  const key = `${rt.group}/${rt.kind}`
  switch (key) {
    case '/Namespace':
      obj.metadata.labels = {...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name}
      obj.spec = {finalizers: ['kubernetes'], ...obj.spec}
      if (!old) obj.status = {phase: 'Active'}
      break
    case '/Service':
      serviceDefaults(obj, alloc, old)
      if (!old) obj.status = {loadBalancer: {}}
      break
    case '/Secret':
      obj.type ??= 'Opaque'
      if (isObject(obj.stringData)) {
        obj.data = {...obj.data}
        for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v)).toString('base64')
        delete obj.stringData
      }
      break
    case '/Pod':
      podSpecDefaults(obj.spec)
      if (!old) obj.status = {phase: 'Pending', qosClass: 'BestEffort'}
      break
    case 'apps/Deployment':
      obj.spec ??= {}
      obj.spec.replicas ??= 1
      obj.spec.strategy ??= {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: '25%', maxSurge: '25%'}}
      obj.spec.revisionHistoryLimit ??= 10
      obj.spec.progressDeadlineSeconds ??= 600
      podSpecDefaults(obj.spec.template?.spec)
      break
    case 'apps/DaemonSet':
      obj.spec ??= {}
      obj.spec.updateStrategy ??= {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}
      obj.spec.revisionHistoryLimit ??= 10
      podSpecDefaults(obj.spec.template?.spec)
      break
    case 'discovery.k8s.io/EndpointSlice':
      for (const p of obj.ports ?? []) if (isObject(p)) (p as any).protocol ??= 'TCP'
      break
    case 'apiextensions.k8s.io/CustomResourceDefinition': {
      const names = obj.spec?.names ?? {}
      names.singular ??= String(names.kind ?? '').toLowerCase()
      names.listKind ??= `${names.kind}List`
      obj.spec.conversion ??= {strategy: 'None'}
      break
    }
  }
}

/** The checks the real validation would fail that lbctl could plausibly trigger. */
export const validateBuiltin = (rt: ResourceType, obj: any, old?: any): Cause[] => {
  const causes: Cause[] = []
  const c = (field: string, message: string, reason = 'FieldValueInvalid') => causes.push({field, message, reason})
  const key = `${rt.group}/${rt.kind}`
  if (key === '/Service') {
    const spec = obj.spec ?? {}
    if (!SERVICE_TYPES.includes(spec.type))
      c('spec.type', `Unsupported value: "${spec.type}": supported values: ${SERVICE_TYPES.map((t) => `"${t}"`).join(', ')}`, 'FieldValueNotSupported')
    const ports: any[] = spec.ports ?? []
    if (ports.length === 0 && spec.type !== 'ExternalName' && spec.clusterIP !== 'None') c('spec.ports', 'Required value', 'FieldValueRequired')
    ports.forEach((p, i) => {
      if (!Number.isInteger(p?.port) || p.port < 1 || p.port > 65535)
        c(`spec.ports[${i}].port`, `Invalid value: ${JSON.stringify(p?.port)}: must be between 1 and 65535, inclusive`)
      if (ports.length > 1 && !p?.name) c(`spec.ports[${i}].name`, 'Required value', 'FieldValueRequired')
    })
    if (spec.loadBalancerIP && spec.type !== 'LoadBalancer')
      c('spec.loadBalancerIP', 'Forbidden: may only be used when `type` is \'LoadBalancer\'', 'FieldValueForbidden')
    if (old && old.spec?.clusterIP && old.spec.clusterIP !== spec.clusterIP && spec.type !== 'ExternalName' && old.spec.type !== 'ExternalName')
      c('spec.clusterIPs[0]', `Invalid value: ${JSON.stringify(spec.clusterIP)}: may not change once set`)
  }
  if (key === 'apps/Deployment' || key === 'apps/DaemonSet') {
    const sel = obj.spec?.selector
    if (!isObject(sel)) c('spec.selector', 'Required value', 'FieldValueRequired')
    else {
      const labels = obj.spec?.template?.metadata?.labels ?? {}
      const ok = Object.entries<any>((sel as any).matchLabels ?? {}).every(([k, v]) => labels[k] === v)
      if (!ok) c('spec.template.metadata.labels', `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``)
      if (old && !deepEqual(old.spec?.selector, sel)) c('spec.selector', `Invalid value: ${JSON.stringify(sel)}: field is immutable`)
    }
    if (!Array.isArray(obj.spec?.template?.spec?.containers) || obj.spec.template.spec.containers.length === 0)
      c('spec.template.spec.containers', 'Required value', 'FieldValueRequired')
  }
  if (key === '/ConfigMap' || key === '/Secret') {
    if (old?.immutable && !deepEqual({d: old.data, b: old.binaryData}, {d: obj.data, b: obj.binaryData}))
      c('data', 'Forbidden: field is immutable when `immutable` is set', 'FieldValueForbidden')
  }
  if (key === 'discovery.k8s.io/EndpointSlice' && !['IPv4', 'IPv6', 'FQDN'].includes(obj.addressType))
    c('addressType', `Unsupported value: ${JSON.stringify(obj.addressType)}: supported values: "IPv4", "IPv6", "FQDN"`, 'FieldValueNotSupported')
  causes.push(...validateKind(key, obj))
  return causes
}
