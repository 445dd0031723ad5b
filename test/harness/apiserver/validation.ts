/**
 * Field validation of the built-in kinds clients write (k8s.io/kubernetes pkg/apis/…/validation), for the fields
 * lbctl and its tests touch: Service status, ConfigMap and Secret keys, EndpointSlice, Node, Pod, Lease, Event.
 * Messages and field paths are the apiserver's, so a 422 here reads like one from a cluster.
 */
import {isIP} from 'node:net'
import type {Cause} from './errors.js'
import {isObject} from './patch.js'

type Add = (field: string, message: string, reason?: string) => void

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const LABEL_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/
const PROTOCOLS = ['SCTP', 'TCP', 'UDP']
const MAX_DATA = 1024 * 1024
const SUBDOMAIN_MSG = `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
const LABEL_MSG = `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
const CONFIG_KEY_MSG = `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`

const q = (v: unknown) => JSON.stringify(v)
const supported = (vs: string[]) => `supported values: ${vs.map((v) => `"${v}"`).join(', ')}`

const ip = (add: Add, field: string, v: unknown, family?: 4 | 6) => {
  if (typeof v !== 'string' || isIP(v) === 0 || (family && isIP(v) !== family))
    add(field, `Invalid value: ${q(v)}: must be a valid ${family ? `IPv${family} ` : 'IP '}address`)
}

const cidr = (add: Add, field: string, v: unknown) => {
  const m = typeof v === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(v) : null
  const fam = m ? isIP(m[1]) : 0
  if (!m || fam === 0 || Number(m[2]) > (fam === 4 ? 32 : 128)) add(field, `Invalid value: ${q(v)}: must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`)
}

const portNumber = (add: Add, field: string, v: unknown) => {
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) add(field, `Invalid value: ${q(v)}: must be between 1 and 65535, inclusive`)
}

const protocol = (add: Add, field: string, v: unknown) => {
  if (v === undefined || v === '') add(field, 'Required value', 'FieldValueRequired')
  else if (!PROTOCOLS.includes(v as string)) add(field, `Unsupported value: ${q(v)}: ${supported(PROTOCOLS)}`, 'FieldValueNotSupported')
}

const serviceStatus = (svc: any, add: Add) => {
  const ingress: any[] = svc.status?.loadBalancer?.ingress ?? []
  if (ingress.length && svc.spec?.type !== 'LoadBalancer') {
    add('status.loadBalancer.ingress', "Forbidden: may only be used when `spec.type` is 'LoadBalancer'", 'FieldValueForbidden')
    return
  }
  ingress.forEach((ing, i) => {
    const at = `status.loadBalancer.ingress[${i}]`
    if (ing.ip) ip(add, `${at}.ip`, ing.ip)
    if (ing.ipMode !== undefined) {
      if (!ing.ip) add(`${at}.ipMode`, 'Forbidden: may not be specified when `ip` is not set', 'FieldValueForbidden')
      else if (!['Proxy', 'VIP'].includes(ing.ipMode)) add(`${at}.ipMode`, `Unsupported value: ${q(ing.ipMode)}: ${supported(['Proxy', 'VIP'])}`, 'FieldValueNotSupported')
    }
    if (ing.hostname) {
      if (!SUBDOMAIN.test(ing.hostname) || ing.hostname.length > 253) add(`${at}.hostname`, `Invalid value: ${q(ing.hostname)}: ${SUBDOMAIN_MSG}`)
      if (isIP(ing.hostname)) add(`${at}.hostname`, `Invalid value: ${q(ing.hostname)}: must be a DNS name, not an IP address`)
    }
    ;(ing.ports ?? []).forEach((p: any, j: number) => {
      portNumber(add, `${at}.ports[${j}].port`, p.port)
      protocol(add, `${at}.ports[${j}].protocol`, p.protocol)
    })
  })
}

/** ConfigMap and Secret data: keys, duplicates between the two maps, total size. */
const keyedData = (obj: any, maps: [string, string][], add: Add, bytesOf: (field: string, v: string) => number) => {
  let total = 0
  for (const [field, other] of maps) {
    for (const [k, v] of Object.entries<any>(obj[field] ?? {})) {
      if (!CONFIG_KEY.test(k) || k.length > 253 || k === '.' || k === '..') add(`${field}[${k}]`, `Invalid value: ${q(k)}: ${k === '.' || k === '..' ? `must not be '${k}'` : CONFIG_KEY_MSG}`)
      if (other && isObject(obj[other]) && k in obj[other]) add(`${field}[${k}]`, `Invalid value: ${q(k)}: duplicate of key present in ${other}`)
      total += bytesOf(field, v)
    }
  }
  if (total > MAX_DATA) add('', `Too long: must have at most ${MAX_DATA} bytes`, 'FieldValueTooLong')
}

const endpointSlice = (es: any, add: Add) => {
  const family = es.addressType === 'IPv4' ? 4 : es.addressType === 'IPv6' ? 6 : undefined
  ;(es.endpoints ?? []).forEach((ep: any, i: number) => {
    const addrs: any[] = ep.addresses ?? []
    if (addrs.length === 0) add(`endpoints[${i}].addresses`, 'Required value: must contain at least 1 address', 'FieldValueRequired')
    else if (addrs.length > 100) add(`endpoints[${i}].addresses`, `Too many: ${addrs.length}: must have at most 100 items`, 'FieldValueTooMany')
    addrs.forEach((a, j) => {
      if (family) ip(add, `endpoints[${i}].addresses[${j}]`, a, family)
      else if (es.addressType === 'FQDN' && (typeof a !== 'string' || !SUBDOMAIN.test(a))) add(`endpoints[${i}].addresses[${j}]`, `Invalid value: ${q(a)}: ${SUBDOMAIN_MSG}`)
    })
    if (ep.nodeName !== undefined && !SUBDOMAIN.test(ep.nodeName)) add(`endpoints[${i}].nodeName`, `Invalid value: ${q(ep.nodeName)}: ${SUBDOMAIN_MSG}`)
  })
  ;(es.ports ?? []).forEach((p: any, i: number) => {
    if (p.port !== undefined && (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535))
      add(`ports[${i}].port`, `Invalid value: ${q(p.port)}: must be between 0 and 65535, inclusive`)
    if (p.name && (!LABEL_1123.test(p.name) || p.name.length > 63)) add(`ports[${i}].name`, `Invalid value: ${q(p.name)}: ${LABEL_MSG}`)
    if (p.protocol !== undefined) protocol(add, `ports[${i}].protocol`, p.protocol)
  })
}

const node = (n: any, add: Add) => {
  if (n.spec?.podCIDR) cidr(add, 'spec.podCIDRs[0]', n.spec.podCIDR)
  ;(n.spec?.podCIDRs ?? []).forEach((c: unknown, i: number) => cidr(add, `spec.podCIDRs[${i}]`, c))
  const TYPES = ['ExternalDNS', 'ExternalIP', 'Hostname', 'InternalDNS', 'InternalIP']
  ;(n.status?.addresses ?? []).forEach((a: any, i: number) => {
    if (!TYPES.includes(a.type)) add(`status.addresses[${i}].type`, `Unsupported value: ${q(a.type)}: ${supported(TYPES)}`, 'FieldValueNotSupported')
  })
}

const pod = (p: any, add: Add) => {
  const containers: any[] = p.spec?.containers ?? []
  if (containers.length === 0) add('spec.containers', 'Required value', 'FieldValueRequired')
  const seen = new Set<string>()
  containers.forEach((c, i) => {
    if (!c.name) add(`spec.containers[${i}].name`, 'Required value', 'FieldValueRequired')
    else if (!LABEL_1123.test(c.name) || c.name.length > 63) add(`spec.containers[${i}].name`, `Invalid value: ${q(c.name)}: ${LABEL_MSG}`)
    else if (seen.has(c.name)) add(`spec.containers[${i}].name`, `Duplicate value: ${q(c.name)}`, 'FieldValueDuplicate')
    seen.add(c.name)
    if (!c.image) add(`spec.containers[${i}].image`, 'Required value', 'FieldValueRequired')
  })
  if (p.status?.podIP) ip(add, 'status.podIPs[0].ip', p.status.podIP)
  ;(p.status?.podIPs ?? []).forEach((x: any, i: number) => ip(add, `status.podIPs[${i}].ip`, x.ip))
}

const lease = (l: any, add: Add) => {
  const s = l.spec ?? {}
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds <= 0) add('spec.leaseDurationSeconds', `Invalid value: ${s.leaseDurationSeconds}: must be greater than 0`)
  if (s.leaseTransitions !== undefined && s.leaseTransitions < 0) add('spec.leaseTransitions', `Invalid value: ${s.leaseTransitions}: must be greater than or equal to 0`)
}

const event = (e: any, add: Add) => {
  const ns = e.metadata?.namespace
  const io = e.involvedObject ?? {}
  if (io.namespace && ns && io.namespace !== ns) add('involvedObject.namespace', `Invalid value: ${q(io.namespace)}: does not match event.namespace`)
}

const eventV1 = (e: any, add: Add) => {
  if (!['Normal', 'Warning'].includes(e.type)) add('type', `Unsupported value: ${q(e.type)}: ${supported(['Normal', 'Warning'])}`, 'FieldValueNotSupported')
  if (!e.reportingController) add('reportingController', 'Required value', 'FieldValueRequired')
  if ((e.note ?? '').length > 1024) add('note', `Too long: may not be more than 1024 bytes`, 'FieldValueTooLong')
}

/** The field errors the apiserver's validation would give for `obj` of `key` (`group/Kind`). */
export const validateKind = (key: string, obj: any): Cause[] => {
  const causes: Cause[] = []
  const add: Add = (field, message, reason = 'FieldValueInvalid') => causes.push({field, message, reason})
  switch (key) {
    case '/Service':
      serviceStatus(obj, add)
      break
    case '/ConfigMap':
      keyedData(obj, [['data', 'binaryData'], ['binaryData', '']], add, (_f, v) => (typeof v === 'string' && _f === 'binaryData' ? Buffer.from(v, 'base64').length : Buffer.byteLength(String(v))))
      break
    case '/Secret':
      keyedData(obj, [['data', '']], add, (_f, v) => Buffer.from(String(v), 'base64').length)
      break
    case 'discovery.k8s.io/EndpointSlice':
      endpointSlice(obj, add)
      break
    case '/Node':
      node(obj, add)
      break
    case '/Pod':
      pod(obj, add)
      break
    case 'coordination.k8s.io/Lease':
      lease(obj, add)
      break
    case '/Event':
      event(obj, add)
      break
    case 'events.k8s.io/Event':
      eventV1(obj, add)
      break
  }
  return causes
}
